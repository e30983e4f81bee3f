package dev.agentfactory.jobs.pii;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A quoted value under a quoted credential key in free text: JSON or a Python dict that a tool
 * printed ({@code {"SecretAccessKey": "..."}} from {@code aws sts get-session-token} or boto3),
 * which the {@code password=} rules miss (camelCase keys, the key's quote before the colon). The
 * key is judged as {@link JsonScanner} judges keys in tool arguments, so {@code tokenizer}, {@code
 * max_tokens} and {@code secretary} mark nothing and {@code db_pass} or {@code card_pin} do.
 */
final class QuotedCredentialKey implements Detector {

  private static final Pattern QUOTED_PAIR =
      Pattern.compile(
          "([\"'])([A-Za-z0-9_.-]{1,80})\\1\\s*:\\s*([\"'])((?:(?!\\3)[^\\\\\\r\\n]|\\\\.){1,4096})\\3");

  static final double SCORE = 0.95;

  @Override
  public void detect(ScanText scanText, List<PiiSpan> out) {
    if (!JsonScanner.mayHoldASecretKey(scanText.lower())) {
      return;
    }
    Matcher m = QUOTED_PAIR.matcher(scanText.value);
    while (m.find()) {
      if (JsonScanner.isSecretKey(m.group(2))) {
        out.add(new PiiSpan(EntityType.SECRET, m.start(4), m.end(4), SCORE));
      }
    }
  }
}
