package dev.agentfactory.jobs.pii;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Applies a {@link ScrubPolicy} to what a {@link PiiScanner} finds, in plain text or in JSON.
 *
 * <pre>{@code
 * Scrubber scrubber = new Scrubber(PiiScanner.create(), ScrubPolicy.defaults(), key);
 * ScrubResult r = scrubber.scrub("mail jane@example.com", "session-42");
 * r.text();   // "mail <EMAIL_ADDRESS>"
 * r.spans();  // [ScrubbedSpan[type=EMAIL_ADDRESS, start=5, end=21, action=MASK, field=]]
 * }</pre>
 *
 * <p>Hashes and pseudonyms are HMAC-SHA256 under {@code key}: without the key nobody can test a
 * guessed value against them. Pseudonyms also mix in the conversation, so one person keeps one
 * pseudonym within a conversation but cannot be linked across conversations. Not thread-safe.
 */
public final class Scrubber {

  /** Keys shorter than this are refused for hashing and pseudonymising. */
  public static final int MIN_KEY_BYTES = 16;

  private final PiiScanner scanner;
  private final ScrubPolicy policy;
  private final Mac mac;
  private final JsonScanner json;

  /**
   * @param key the HMAC key; may be null or empty only if the policy neither hashes nor
   *     pseudonymises
   */
  public Scrubber(PiiScanner scanner, ScrubPolicy policy, byte[] key) {
    this.scanner = scanner;
    this.policy = policy;
    if (policy.needsKey() && (key == null || key.length < MIN_KEY_BYTES)) {
      throw new IllegalArgumentException(
          "scrub key: policy "
              + policy.version()
              + " hashes or pseudonymises and needs a key of at least "
              + MIN_KEY_BYTES
              + " bytes");
    }
    try {
      this.mac = Mac.getInstance("HmacSHA256");
      byte[] k = key == null || key.length == 0 ? new byte[MIN_KEY_BYTES] : key;
      mac.init(new SecretKeySpec(k, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
    this.json = new JsonScanner(scanner);
  }

  public ScrubPolicy policy() {
    return policy;
  }

  /** Scrubs plain text; {@code conversation} scopes pseudonyms (e.g. the session id). */
  public ScrubResult scrub(String text, String conversation) {
    if (text == null || text.isEmpty()) {
      return new ScrubResult(text, List.of());
    }
    List<PiiSpan> spans = scanner.scan(text);
    if (spans.isEmpty()) {
      return new ScrubResult(text, List.of());
    }
    List<ScrubbedSpan> out = new ArrayList<>(spans.size());
    return new ScrubResult(apply(text, spans, conversation, "", out), out);
  }

  /**
   * Scrubs a JSON document (tool arguments or output) value by value: string values are scanned,
   * and the whole value of a key such as {@code password}, {@code token} or {@code authorization}
   * is a {@link EntityType#SECRET}. Text that is not JSON is scrubbed as plain text.
   */
  public ScrubResult scrubJson(String jsonText, String conversation) {
    return json.scrub(
        jsonText,
        (value, spans, field, out) -> apply(value, spans, conversation, field, out),
        () -> scrub(jsonText, conversation));
  }

  /** The text with every span replaced according to the policy; records spans in {@code out}. */
  String apply(
      String text, List<PiiSpan> spans, String conversation, String field, List<ScrubbedSpan> out) {
    StringBuilder sb = new StringBuilder(text.length());
    int at = 0;
    for (PiiSpan s : spans) {
      ScrubAction action = policy.actionFor(s.type());
      sb.append(text, at, s.start());
      String value = text.substring(s.start(), s.end());
      switch (action) {
        case MASK -> sb.append(s.type().mask());
        case REDACT -> {}
        case HASH ->
            sb.append('<')
                .append(s.type().name())
                .append('#')
                .append(digest(HASH_SCOPE, s.type(), value), 0, 12)
                .append('>');
        case PSEUDONYMISE ->
            sb.append(
                Pseudonyms.fake(
                    s.type(), digest(conversationScope(conversation), s.type(), value)));
        case KEEP -> sb.append(value);
      }
      at = s.end();
      out.add(new ScrubbedSpan(s.type(), s.start(), s.end(), action, field));
    }
    sb.append(text, at, text.length());
    return sb.toString();
  }

  /**
   * The scope of hashes. Pseudonym scopes start with {@code c:}, so no conversation id (not even
   * one called {@code hash}) gives a pseudonym that equals a hash, which would link the
   * conversation's pseudonyms to every other conversation.
   */
  private static final String HASH_SCOPE = "h";

  private static String conversationScope(String conversation) {
    return "c:" + (conversation == null ? "" : conversation);
  }

  private String digest(String scope, EntityType type, String value) {
    mac.update(scope.getBytes(StandardCharsets.UTF_8));
    mac.update((byte) 0);
    mac.update(type.name().getBytes(StandardCharsets.UTF_8));
    mac.update((byte) 0);
    mac.update(canonical(type, value).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(mac.doFinal());
  }

  /**
   * The form of a value that decides its hash and pseudonym: case and surrounding space do not make
   * another person, and the separators of a number ({@code (202) 555-0143}, {@code 4111 1111 …},
   * {@code DE89 3704 …}) do not make another number.
   */
  static String canonical(EntityType type, String value) {
    String v = value.strip().toLowerCase(java.util.Locale.ROOT);
    return switch (type) {
      case PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE -> {
        StringBuilder kept = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
          char c = v.charAt(i);
          if (Character.isLetterOrDigit(c) || (c == '+' && kept.length() == 0)) {
            kept.append(c);
          }
        }
        yield kept.toString();
      }
      default -> v;
    };
  }
}
