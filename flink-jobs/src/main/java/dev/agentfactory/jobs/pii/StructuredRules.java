package dev.agentfactory.jobs.pii;

import java.util.List;
import java.util.Set;

/**
 * The catalogue of pattern detectors for data with a fixed shape: e-mail, phone, cards (Luhn), IBAN
 * (mod 97), US SSN, IP addresses, URLs and domains, dates and times, US driver licences, and the
 * simple structure of names and addresses (prefixes, house number + street suffix, postcodes) that
 * backs up the name finder. Secrets are in {@link SecretRules}.
 */
final class StructuredRules {

  private StructuredRules() {}

  private static final String MONTH =
      "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          + "|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\.?";
  private static final String WEEKDAY =
      "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";

  /** Top-level domains accepted for bare domains (no scheme, no www): not file extensions. */
  private static final Set<String> BARE_TLDS =
      Set.of(
          "com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "info", "biz", "dev", "app",
          "ai", "us", "uk", "de", "fr", "es", "it", "nl", "be", "ch", "at", "se", "no", "dk", "fi",
          "is", "ie", "pt", "pl", "cz", "hu", "gr", "ru", "ua", "jp", "cn", "kr", "in", "au", "nz",
          "ca", "br", "mx", "ar", "cl", "uy", "za", "tn", "eu", "cloud", "online", "site", "tech");

  /** ".a" to ".z". */
  private static final String[] DOT_LETTER =
      java.util.stream.IntStream.rangeClosed('a', 'z')
          .mapToObj(c -> "." + (char) c)
          .toArray(String[]::new);

  /** ".0" to ".9": every dotted quad has one. */
  private static final String[] DOT_DIGIT =
      java.util.stream.IntStream.rangeClosed('0', '9')
          .mapToObj(c -> "." + (char) c)
          .toArray(String[]::new);

  static List<Detector> all() {
    return List.of(
        PatternRule.of(
                EntityType.EMAIL_ADDRESS,
                "(?<![\\w.%+:/-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,24}\\b",
                1.0)
            .onlyIfContains("@"),
        // URLs; with user:password@, only what follows the @ (SecretRules finds the password)
        PatternRule.of(
                EntityType.DOMAIN_NAME,
                "\\b(?:https?|ftp)://(?![^\\s/]*@)[^\\s<>\"'`]+?(?=[.,;:!?)\\]]*(?:\\s|$|[<>\"'`]))",
                0.95)
            .onlyIfContains("://"),
        PatternRule.of(
                EntityType.DOMAIN_NAME,
                "\\b(?:https?|ftp)://[^\\s/@]+@([^\\s<>\"'`]+?)(?=[.,;:!?)\\]]*(?:\\s|$|[<>\"'`]))",
                0.95)
            .group(1)
            .onlyIfContains("@"),
        PatternRule.of(
                EntityType.DOMAIN_NAME,
                "(?<![\\w@./-])((?:www\\.)(?:[A-Za-z0-9-]{1,63}\\.)+[A-Za-z]{2,24}"
                    + "|(?:[A-Za-z0-9-]{1,63}\\.)+[A-Za-z]{2,6})(?![\\w@-]|\\.\\w)",
                0.8)
            .group(1)
            .validatedBy(StructuredRules::plausibleDomain)
            // a domain has a dot right before a letter; a text whose dots end sentences is skipped
            .onlyIfContainsIgnoringCase(DOT_LETTER),
        PatternRule.numeric(
                EntityType.CREDIT_CARD,
                "(?<![\\w-])(?:[2-6]\\d{3}(?:[ -]?\\d{4}){2}[ -]?\\d{1,7}|3[47]\\d{2}[ -]?\\d{6}[ -]?\\d{5})(?![\\d-])",
                1.0)
            .validatedBy(Checksums::luhn),
        PatternRule.numeric(
                EntityType.IBAN_CODE,
                "(?<![A-Za-z0-9])[A-Za-z]{2}\\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])",
                1.0)
            .validatedBy(Checksums::iban),
        PatternRule.numeric(
                EntityType.US_SSN,
                "(?<![\\d-])(?!000|666|9\\d\\d)\\d{3}([- ])(?!00)\\d{2}\\1(?!0000)\\d{4}(?![\\d-])",
                0.85)
            .context(1.0, "ssn", "social security", "social sec"),
        PatternRule.numeric(
                EntityType.US_SSN,
                "(?<![\\d-])(?!000|666|9\\d\\d)\\d{3}(?!00)\\d{2}(?!0000)\\d{4}(?![\\d-])",
                0.0)
            .context(0.9, "ssn", "social security"),
        PatternRule.numeric(
                EntityType.IP_ADDRESS,
                "(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}"
                    + "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?![\\d.]|\\.\\d)",
                0.95)
            .onlyIfContains(DOT_DIGIT),
        PatternRule.of(
                EntityType.IP_ADDRESS,
                "(?<![\\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\\w:])",
                0.95)
            .validatedBy(StructuredRules::ipv6)
            .onlyIfContains(":"),
        phone(),
        PatternRule.numeric(
                EntityType.US_DRIVER_LICENSE,
                "(?<![\\w-])(?=[A-Za-z0-9]*\\d{4})[A-Za-z]{0,2}\\d{4,14}[A-Za-z]?(?![\\w-])",
                0.0)
            .context(0.95, "driver", "driving", "licence", "license", " dl ", "dl#", "dl:"),
        // DATE_TIME: numeric dates, ISO timestamps, written dates, weekdays, clock times
        PatternRule.numeric(
            EntityType.DATE_TIME,
            "\\b(?:\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?"
                + "(?:Z|[+-]\\d{2}:?\\d{2})?)?"
                + "|(?:0?[1-9]|[12]\\d|3[01])[/.](?:0?[1-9]|[12]\\d|3[01])[/.](?:\\d{4}|\\d{2}))\\b",
            0.9),
        PatternRule.numeric(
                EntityType.DATE_TIME,
                "\\b(?:"
                    + WEEKDAY
                    + ",? )?(?:"
                    + MONTH
                    + " \\d{1,2}(?:st|nd|rd|th)?(?:,? \\d{4})?|\\d{1,2}(?:st|nd|rd|th)? (?:of )?"
                    + MONTH
                    + "(?:,? \\d{4})?|"
                    + MONTH
                    + ",? \\d{4})\\b",
                0.85)
            .onlyIfContains(
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        PatternRule.of(EntityType.DATE_TIME, "(?i)\\b" + WEEKDAY + "s?\\b", 0.8)
            .onlyIfContainsIgnoringCase("day"),
        PatternRule.numeric(
                EntityType.DATE_TIME,
                "\\b(?:[01]?\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d)?(?:\\s?[AaPp]\\.?[Mm]\\.?)?(?![:\\d])",
                0.75)
            .onlyIfContains(":"),
        PatternRule.numeric(
                EntityType.DATE_TIME, "\\b(?:1[0-2]|0?[1-9])\\s?[ap]\\.?m\\.?(?!\\w)", 0.7)
            .onlyIfContains("am", "pm", "a.m", "p.m"),
        // Name and address structure; the name finder, when present, usually wins on overlap
        // a display name before an e-mail in angle brackets: git's Author: and Signed-off-by:,
        // mail headers (two to four capitalised words, name particles allowed)
        PatternRule.of(
                EntityType.PERSON,
                "(?<![\\p{L}\\p{M}\\d_.-])(\\p{Lu}[\\p{L}\\p{M}'’.-]*(?:[ \\t]+(?:(?:van|von|de|der|den"
                    + "|da|di|del|della|du|la|le|ten|ter|bin|al)[ \\t]+)?\\p{Lu}[\\p{L}\\p{M}'’.-]*){1,3})"
                    + "[ \\t]*<[A-Za-z0-9._%+-]{1,64}@[^\\s<>@]{1,255}>",
                0.85)
            .group(1)
            .onlyIfContains("@"),
        PatternRule.of(
                EntityType.PREFIX,
                "\\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|mr|mrs|ms|dr)\\.(?= \\p{Lu})|\\b(?:Miss|Sir|Madam)(?= \\p{Lu})",
                0.5)
            .onlyIfContains(
                "Mr", "Ms", "Mx", "Dr", "Prof", "mr", "ms", "dr", "Miss", "Sir", "Madam"),
        PatternRule.numeric(
            EntityType.ADDRESS,
            "\\b\\d{1,5}[A-Za-z]? (?:\\p{Lu}[\\p{L}'.-]+ ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln"
                + "|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Square|Terrace|Parkway|Highway)\\b\\.?"
                + "(?:,? (?:Apt\\.?|Suite|Unit) \\d+)?",
            0.45),
        PatternRule.numeric(
                EntityType.ADDRESS,
                "(?i)\\b(?:apt\\.?|apartment|suite|ste\\.|unit|flat) #?\\d{1,5}[A-Za-z]?\\b",
                0.6)
            .onlyIfContainsIgnoringCase("apt", "apartment", "suite", "ste.", "unit", "flat"),
        PatternRule.numeric(
                EntityType.ADDRESS,
                "\\b(?:PSC \\d{4}, Box \\d{4}|Unit \\d{4} Box \\d{4}|USNS? \\p{Lu}\\w+|USCGC \\p{Lu}\\w+)"
                    + "\\s*(?:APO|FPO|DPO) A[AEP] \\d{5}\\b",
                0.9)
            .onlyIfContains("APO", "FPO", "DPO"));
  }

  private static PatternRule phone() {
    // International prefix or trunk, optional area code in parentheses, then 2..5 groups of digits
    // separated by one space, dot or hyphen; optional extension. Digit count is checked below.
    return PatternRule.numeric(
            EntityType.PHONE_NUMBER,
            "(?<![\\w+/.-])(?:\\+\\d{1,3}[ .-]?|00\\d{1,3}[ .-]|001-)?(?:\\(\\d{1,5}\\) ?|\\d{1,5}[ .-])?"
                + "\\d{2,12}(?:[ .-]\\d{2,8}){0,3}(?:\\s?(?:x|ext\\.?)\\s?\\d{1,6})?"
                // a hyphen may follow before a word ("-Office"), not before more digits
                + "(?![\\w/]|-\\d|\\.\\d)",
            0.5)
        .validatedBy(StructuredRules::plausiblePhone)
        .context(
            0.95,
            "phone",
            "call",
            "tel",
            "mobile",
            "cell",
            "fax",
            "reach",
            "number",
            "answering",
            "contact",
            "dial",
            "whatsapp",
            "sms",
            "text me",
            "office");
  }

  static boolean plausiblePhone(String s) {
    int digits = 0;
    int groups = 0;
    boolean inDigits = false;
    int ext = s.indexOf('x');
    String main = ext >= 0 ? s.substring(0, ext) : s;
    for (int i = 0; i < main.length(); i++) {
      char c = main.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
        if (!inDigits) {
          groups++;
        }
        inDigits = true;
      } else {
        inDigits = false;
      }
    }
    // six digits in three groups ("61 51 81") are a local number in several countries
    if (digits > 15 || digits < 6 || (digits == 6 && groups < 3)) {
      return false;
    }
    // a single run of digits is only a phone number with a + or a long trunk-like length
    return groups >= 2 || main.startsWith("+") || (digits >= 10 && digits <= 12);
  }

  static boolean plausibleDomain(String s) {
    String lower = s.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("www.")) {
      return true;
    }
    String tld = lower.substring(lower.lastIndexOf('.') + 1);
    return BARE_TLDS.contains(tld) && lower.chars().anyMatch(Character::isLetter);
  }

  static boolean ipv6(String s) {
    int dc = s.indexOf("::");
    if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) {
      return false;
    }
    String[] parts = s.split(":", -1);
    int groups = 0;
    for (String p : parts) {
      if (p.length() > 4) {
        return false;
      }
      if (!p.isEmpty()) {
        groups++;
      }
    }
    if (dc < 0) {
      return parts.length == 8 && groups == 8;
    }
    return groups <= 7 && groups >= 2;
  }
}
