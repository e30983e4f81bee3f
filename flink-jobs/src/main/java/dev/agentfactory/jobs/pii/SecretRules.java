package dev.agentfactory.jobs.pii;

import java.util.List;

/**
 * Credentials that agent traces leak: cloud and SaaS keys with a recognisable shape ({@link
 * EntityType#API_KEY}) and values that are secret because of where they stand ({@link
 * EntityType#SECRET}): the password in {@code scheme://user:password@host}, the value after {@code
 * password=} or {@code Authorization: Bearer}. {@link JsonScanner} adds secrets by JSON key name.
 */
final class SecretRules {

  private SecretRules() {}

  static List<Detector> all() {
    return List.of(
        PatternRule.of(
                EntityType.API_KEY,
                "\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\\b",
                1.0)
            .onlyIfContains("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"),
        PatternRule.of(
                EntityType.API_KEY,
                "(?i)(?<![a-z])aws.{0,24}?(?:secret|key)[\\w\"' ]{0,12}[=:]\\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
                1.0)
            .group(1)
            .onlyIfContainsIgnoringCase("aws"),
        // the same without "=" or ":" (`AWS secret key wJalr…`, `aws_secret_access_key wJalr…`):
        // then the 40 characters must mix cases or hold a / or +, as base64 keys do and a git
        // commit id or a hex digest (lower case) does not. In both, "aws" starts a word or follows
        // a digit, "_" or punctuation (`MY_AWS_SECRET_KEY`), never a letter ("draws", "laws")
        PatternRule.of(
                EntityType.API_KEY,
                "(?i)(?<![a-z])aws.{0,24}?(?:secret|key)[\\w\"' ]{0,12}?\\s[\"']?(?-i:((?=[A-Za-z0-9/+]{0,39}[A-Z/+])(?=[A-Za-z0-9/+]{0,39}[a-z])[A-Za-z0-9/+]{40}))(?![A-Za-z0-9/+])",
                1.0)
            .group(1)
            .onlyIfContainsIgnoringCase("aws"),
        PatternRule.of(EntityType.API_KEY, "\\bgh[pousr]_[A-Za-z0-9]{36,255}\\b", 1.0)
            .onlyIfContains("gh"),
        PatternRule.of(EntityType.API_KEY, "\\bgithub_pat_[A-Za-z0-9_]{22,255}\\b", 1.0)
            .onlyIfContains("github_pat_"),
        PatternRule.of(EntityType.API_KEY, "\\bxox[abposr]-[A-Za-z0-9-]{10,250}", 1.0)
            .onlyIfContains("xox"),
        PatternRule.of(
                EntityType.API_KEY, "https://hooks\\.slack\\.com/services/[A-Za-z0-9_/]{20,}", 1.0)
            .onlyIfContains("hooks.slack.com"),
        PatternRule.of(EntityType.API_KEY, "\\bAIza[0-9A-Za-z_-]{35}\\b", 1.0)
            .onlyIfContains("AIza"),
        PatternRule.of(EntityType.API_KEY, "\\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\\b", 1.0)
            .onlyIfContains("_live_", "_test_"),
        PatternRule.of(EntityType.API_KEY, "\\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}", 1.0)
            .onlyIfContains("sk-"),
        PatternRule.of(EntityType.API_KEY, "\\bglpat-[A-Za-z0-9_-]{20,}", 1.0)
            .onlyIfContains("glpat-"),
        PatternRule.of(
                EntityType.API_KEY,
                "\\beyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}",
                1.0)
            .onlyIfContains("eyJ"),
        PatternRule.of(
                EntityType.API_KEY,
                "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]{0,20000}?"
                    + "-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
                1.0)
            .onlyIfContains("PRIVATE KEY"),
        // scheme://user:password@host: only the password
        PatternRule.of(
                EntityType.SECRET,
                "\\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\\s:/@]{1,128}:([^\\s@/]{1,256})@",
                1.0)
            .group(1)
            .onlyIfContains("://"),
        PatternRule.of(
                EntityType.SECRET,
                "(?i)\\b(?:authorization\\s*[:=]\\s*)?(?:bearer|basic|token)\\s+"
                    + "([A-Za-z0-9._~+/-]{16,}=*)",
                0.95)
            .group(1)
            .onlyIfContainsIgnoringCase("bearer", "basic", "token"),
        PatternRule.of(
                EntityType.SECRET,
                // with a prefix and a _KEY/_TOKEN suffix, as environment variables and .env files
                // name them (DB_PASSWORD, APP_SECRET_KEY)
                "(?i)\\b(?:[a-z0-9]+[_-])*(?:password|passwd|pwd|passphrase|secret|api[_-]?key"
                    + "|access[_-]?key|auth[_-]?token|access[_-]?token|client[_-]?secret)"
                    + "(?:[_-]?(?:key|token))?[\"']?\\s*[:=]\\s*[\"']?([^\\s\"',;]{4,256})",
                0.95)
            .group(1)
            .onlyIfContainsIgnoringCase("pass", "pwd", "secret", "key", "token"),
        // GITHUB_TOKEN=, SLACK_BOT_TOKEN=: a token after a prefix (a bare token= is the rule
        // above's auth_token/access_token, or a Bearer/token header; max_tokens= is no credential)
        PatternRule.of(
                EntityType.SECRET,
                "(?i)\\b(?:[a-z0-9]+[_-])+token[\"']?\\s*[:=]\\s*[\"']?([^\\s\"',;]{4,256})",
                0.95)
            .group(1)
            .onlyIfContainsIgnoringCase("token"),
        new QuotedCredentialKey());
  }
}
