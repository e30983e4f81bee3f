package dev.agentfactory.jobs.pii;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Scans JSON (tool-call arguments and outputs) value by value. A value under a key that names a
 * credential ({@code password}, {@code authorization}, {@code token}, {@code api_key}, {@code
 * secret}, ... in any case, with {@code -} or {@code _}) is a {@link EntityType#SECRET} as a whole,
 * including numbers and nested values; other string values go through the {@link PiiScanner}.
 */
final class JsonScanner {

  /** Normalised (lower case, no {@code -}/{@code _}) key parts that mark a secret value. */
  static final Set<String> SECRET_KEY_PARTS =
      Set.of(
          "password",
          "passwd",
          "passphrase",
          "pwd",
          "secret",
          "token",
          "apikey",
          "authorization",
          "auth",
          "credential",
          "credentials",
          "privatekey",
          "sshkey",
          "passcode",
          "accesskey",
          "cookie",
          "sessionid",
          "clientsecret",
          "bearer",
          "signature");

  /**
   * Strict where a lenient parse would hide text from the scan: a duplicate key keeps only its last
   * value and trailing content (a second document, as models sometimes emit in one arguments
   * string) is ignored, yet an unchanged document is returned as it came, with those parts
   * unscanned. Such text fails the parse and is scrubbed as plain text.
   */
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /** One string value: where it is, and what is in it. */
  record Field(String pointer, String value, List<PiiSpan> spans) {}

  /** Rewrites one value given its spans, recording what it did. */
  interface Rewriter {
    String rewrite(String value, List<PiiSpan> spans, String pointer, List<ScrubbedSpan> out);
  }

  private final PiiScanner scanner;

  JsonScanner(PiiScanner scanner) {
    this.scanner = scanner;
  }

  /** Every string value with spans, or empty if {@code json} is not a JSON object or array. */
  Optional<List<Field>> scan(String json) {
    Optional<JsonNode> root = parse(json);
    if (root.isEmpty()) {
      return Optional.empty();
    }
    List<Field> fields = new ArrayList<>();
    walk(
        root.get(),
        "",
        false,
        (node, pointer, secret) -> {
          Field f = field(node, pointer, secret);
          if (!f.spans().isEmpty()) {
            fields.add(f);
          }
          return null;
        });
    return Optional.of(fields);
  }

  ScrubResult scrub(String json, Rewriter rewriter, Supplier<ScrubResult> notJson) {
    List<ScrubbedSpan> out = new ArrayList<>();
    Optional<String> rewritten = scrubDocument(json, "", rewriter, out, 0);
    if (rewritten.isEmpty()) {
      ScrubResult text = notJson.get();
      // a bare number (or string) is JSON too, and tool-call arguments must stay JSON: text
      // scrubbing turns 4111111111111111 into <CREDIT_CARD>, which becomes the string
      // "<CREDIT_CARD>"
      if (!text.text().equals(json) && isJson(json) && !isJson(text.text())) {
        return new ScrubResult(quoted(text.text().strip()), text.spans());
      }
      return text;
    }
    return new ScrubResult(rewritten.get(), out);
  }

  private static boolean isJson(String text) {
    try {
      return JSON.readTree(text) != null;
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  private static String quoted(String text) {
    try {
      return JSON.writeValueAsString(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a string is always written", e);
    }
  }

  /**
   * How deep JSON inside a JSON string (an HTTP tool's {@code body}, a tool output that holds
   * another tool's JSON output) is scanned as JSON; deeper strings are scanned as text.
   */
  static final int MAX_EMBEDDED_LEVELS = 3;

  /**
   * {@code json} with every span rewritten, as it came if nothing was found, or empty if it is not
   * a JSON object or array. A string value that is itself one is scanned the same way, with
   * pointers that continue the pointer of the string ({@code /body/env/0/value}), so that key names
   * inside it mark secrets as they do outside.
   */
  private Optional<String> scrubDocument(
      String json, String prefix, Rewriter rewriter, List<ScrubbedSpan> out, int level) {
    Optional<JsonNode> root = parse(json);
    if (root.isEmpty()) {
      return Optional.empty();
    }
    int before = out.size();
    JsonNode rewritten =
        walk(
            root.get(),
            prefix,
            false,
            (node, pointer, secret) -> {
              if (!secret && node.isTextual() && level < MAX_EMBEDDED_LEVELS) {
                int mark = out.size();
                Optional<String> inner =
                    scrubDocument(node.textValue(), pointer, rewriter, out, level + 1);
                if (inner.isPresent()) {
                  return out.size() == mark ? null : TextNode.valueOf(inner.get());
                }
              }
              Field f = field(node, pointer, secret);
              if (f.spans().isEmpty()) {
                return null;
              }
              return TextNode.valueOf(rewriter.rewrite(f.value(), f.spans(), pointer, out));
            });
    if (out.size() == before) {
      return Optional.of(json);
    }
    try {
      return Optional.of(JSON.writeValueAsString(rewritten));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write back a JSON tree", e);
    }
  }

  private Field field(JsonNode node, String pointer, boolean secret) {
    String value = node.isTextual() ? node.textValue() : node.asText();
    if (value.isEmpty()) {
      return new Field(pointer, value, List.of());
    }
    if (secret) {
      return new Field(
          pointer, value, List.of(new PiiSpan(EntityType.SECRET, 0, value.length(), 1)));
    }
    return new Field(
        pointer, value, node.isTextual() ? scanner.scan(value) : numberSpans(value, pointer));
  }

  /** The least score of a span in a JSON number: a validated card, or a shape its key confirms. */
  static final double NUMBER_MIN_SCORE = 0.9;

  /** Shorter numbers are not scanned: an SSN has 9 digits, phones without a + or 0 have 10. */
  static final int NUMBER_MIN_DIGITS = 9;

  /** What a bare number can be, besides a card. */
  private static final Set<EntityType> NUMBER_TYPES =
      Set.of(EntityType.PHONE_NUMBER, EntityType.US_SSN, EntityType.US_DRIVER_LICENSE);

  /**
   * Spans in an integral JSON number ({@code {"card":4111111111111111}}, {@code
   * {"phone":2025550143}}): the number is scanned after its key's words ({@code phone:
   * 2025550143}), so the key is the context a phone number or an SSN needs, and only a validated
   * card (Luhn) or a span that context makes sure ({@value #NUMBER_MIN_SCORE}+) counts: a ten-digit
   * epoch second has a phone's shape but no key that says phone.
   */
  private List<PiiSpan> numberSpans(String value, String pointer) {
    if (value.length() - (value.startsWith("-") ? 1 : 0) < NUMBER_MIN_DIGITS) {
      return List.of(); // counts, sizes, ports, exit codes: the bulk of a JSON output's numbers
    }
    String key = "";
    String[] segments = pointer.split("/");
    for (int i = segments.length - 1; i >= 0; i--) {
      if (!segments[i].isEmpty() && !segments[i].chars().allMatch(Character::isDigit)) {
        key = segments[i].replace("~1", "/").replace("~0", "~");
        break;
      }
    }
    String context = String.join(" ", KEY_SEGMENT.split(key)) + ": ";
    List<PiiSpan> spans = new ArrayList<>();
    for (PiiSpan s : scanner.scan(context + value)) {
      if (s.start() >= context.length()
          && (s.type() == EntityType.CREDIT_CARD
              || (s.score() >= NUMBER_MIN_SCORE && NUMBER_TYPES.contains(s.type())))) {
        spans.add(
            new PiiSpan(
                s.type(), s.start() - context.length(), s.end() - context.length(), s.score()));
      }
    }
    return spans;
  }

  private interface Visitor {
    /** The replacement of a scalar, or null to keep it. */
    JsonNode visit(JsonNode scalar, String pointer, boolean secret);
  }

  private static JsonNode walk(JsonNode node, String pointer, boolean secret, Visitor v) {
    if (node instanceof ObjectNode obj) {
      boolean pairOfSecret = !secret && namesASecret(obj);
      List<Map.Entry<String, JsonNode>> replace = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : obj.properties()) {
        JsonNode r =
            walk(
                e.getValue(),
                pointer + "/" + escape(e.getKey()),
                secret
                    || isSecretKey(e.getKey())
                    || (pairOfSecret && e.getKey().equalsIgnoreCase("value")),
                v);
        if (r != e.getValue()) {
          replace.add(Map.entry(e.getKey(), r));
        }
      }
      replace.forEach(e -> obj.set(e.getKey(), e.getValue()));
      return node;
    }
    if (node instanceof ArrayNode arr) {
      for (int i = 0; i < arr.size(); i++) {
        JsonNode r = walk(arr.get(i), pointer + "/" + i, secret || namedBefore(arr, i), v);
        if (r != arr.get(i)) {
          arr.set(i, r);
        }
      }
      return node;
    }
    if (node.isNull()
        || node.isBoolean()
        || (!secret && !node.isTextual() && !node.isIntegralNumber())) {
      return node;
    }
    JsonNode r = v.visit(node, pointer, secret);
    return r == null ? node : r;
  }

  /**
   * True for the element after one that names a credential in a list of strings: a header pair
   * {@code ["Authorization", "Basic …"]} (Python's {@code headers.items()}, HAR-like dumps) or an
   * argv flag {@code ["mysql", "--password", "…"]}. A flag must start with {@code -}; a pair must
   * be the whole list, so that {@code ["token", "count"]} in a longer list of words marks nothing.
   */
  private static boolean namedBefore(ArrayNode arr, int i) {
    if (i == 0 || !arr.get(i - 1).isTextual()) {
      return false;
    }
    String name = arr.get(i - 1).textValue();
    if (name.startsWith("-")) {
      String flag = name.replaceFirst("^-{1,2}", "");
      return !flag.isEmpty()
          && !flag.contains("=")
          && PAIR_NAME.matcher(flag).matches()
          && isSecretKey(flag);
    }
    return arr.size() == 2 && i == 1 && PAIR_NAME.matcher(name).matches() && isSecretKey(name);
  }

  /**
   * True for a name/value pair that names a credential: {@code {"name":"DB_PASSWORD","value":"…"}}
   * (Kubernetes env, HAR and Postman headers), {@code {"Key":"api_token","Value":"…"}} (AWS tags).
   * The name must look like a key (no spaces), so that prose such as {@code "Reset your password"}
   * marks nothing.
   */
  private static boolean namesASecret(ObjectNode obj) {
    if (obj.size() > 8) {
      return false;
    }
    boolean hasValue = false;
    boolean secretName = false;
    for (Map.Entry<String, JsonNode> e : obj.properties()) {
      String k = e.getKey();
      if (k.equalsIgnoreCase("value")) {
        hasValue = true;
      } else if ((k.equalsIgnoreCase("name") || k.equalsIgnoreCase("key"))
          && e.getValue().isTextual()) {
        String name = e.getValue().textValue();
        secretName |= PAIR_NAME.matcher(name).matches() && isSecretKey(name);
      }
    }
    return hasValue && secretName;
  }

  private static final Pattern PAIR_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /**
   * Normalised key parts with "token" that count or split text, as LLM APIs name them ({@code
   * max_tokens}, {@code usage.prompt_tokens}, {@code completion_tokens_details}, {@code
   * tokenizer}), and the office of {@code secretary}: no credential. {@code tokens}, {@code
   * access_tokens}, {@code refresh_tokens} stay secrets.
   */
  private static final Pattern NO_CREDENTIAL =
      Pattern.compile(
          "(?:max|min|new|prompt|completion|input|output|total|reasoning|cached|num|used|remaining)"
              + "tokens|tokens?(?:count|limit|usage|used|remaining|budget|details)"
              + "|tokeni[sz](?:er|ers|ation|ed|e)|secretar(?:y|ies|iat)");

  /**
   * Short names of a credential that other words contain ({@code bypass}, {@code compass}, {@code
   * passenger}): only a whole segment of a key ({@code pass}, {@code db_pass}, {@code smtpPass}).
   */
  static final Set<String> SECRET_KEY_SEGMENTS =
      Set.of("pass", "pw", "jwt", "otp", "totp", "hotp", "cvv", "cvc", "cvv2", "cvc2", "pin");

  /** Splits {@code db_pass}, {@code X-Api-Key}, {@code smtpPass} into their words. */
  private static final Pattern KEY_SEGMENT = Pattern.compile("[-_.\\s]+|(?<=[a-z0-9])(?=[A-Z])");

  /**
   * Lower-case words one of which every key {@link #isSecretKey} accepts contains, whatever its
   * separators ({@code api_key}, {@code private-key}): a cheap test before a text's quoted keys are
   * looked at. {@code JsonScannerTest} checks that it covers every part and segment.
   */
  static final List<String> KEY_HINTS =
      List.of(
          "pass",
          "pw",
          "secret",
          "token",
          "key",
          "auth",
          "credential",
          "cookie",
          "session",
          "bearer",
          "signature",
          "jwt",
          "otp",
          "cvv",
          "cvc",
          "pin");

  /** Whether lower-case {@code text} may hold a key that {@link #isSecretKey} accepts. */
  static boolean mayHoldASecretKey(String text) {
    for (String hint : KEY_HINTS) {
      if (text.contains(hint)) {
        return true;
      }
    }
    return false;
  }

  static boolean isSecretKey(String key) {
    for (String segment : KEY_SEGMENT.split(key)) {
      if (SECRET_KEY_SEGMENTS.contains(segment.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    String k =
        NO_CREDENTIAL
            .matcher(key.toLowerCase(Locale.ROOT).replace("-", "").replace("_", ""))
            .replaceAll("");
    for (String part : SECRET_KEY_PARTS) {
      if (k.contains(part)) {
        // "author" and "authority" contain "auth" but name no credential
        return !(part.equals("auth") && (k.contains("author") && !k.contains("authoriz")));
      }
    }
    return false;
  }

  private static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  private static Optional<JsonNode> parse(String json) {
    if (json == null) {
      return Optional.empty();
    }
    String t = json.strip();
    if (t.isEmpty() || (t.charAt(0) != '{' && t.charAt(0) != '[')) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readTree(t));
    } catch (JsonProcessingException notJson) {
      return Optional.empty();
    }
  }
}
