package dev.agentfactory.jobs.quality;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Role;
import dev.agentfactory.connectors.event.ToolCall;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The stateless quality rules for one {@link Interaction}, and the fingerprint the stateful
 * deduplication remembers of it. Independent of Flink; the pipeline's {@code QualityFilterFunction}
 * wraps it.
 *
 * <pre>{@code
 * QualityRules rules = new QualityRules(QualityConfig.defaults());
 * Optional<DropReason> reason = rules.check(event); // empty: keep, unless a duplicate
 * Fingerprint fingerprint = rules.fingerprint(event);
 * }</pre>
 *
 * <p>"Content" is what a model would be trained on: the user, assistant and tool messages and the
 * tool outputs. System prompts are left out (they repeat on every turn of an agent and would make
 * every turn a near duplicate); they still count towards {@link DropReason#OVERSIZED} and the exact
 * hash. The rules run cheapest first and the first that fires is the reason.
 */
public final class QualityRules implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private final QualityConfig config;

  public QualityRules(QualityConfig config) {
    this.config = config;
  }

  public QualityConfig config() {
    return config;
  }

  /** The content rules: the reason to drop {@code event}, or empty to keep it. */
  public Optional<DropReason> check(Interaction event) {
    List<String> content = content(event);
    if (content.stream().allMatch(String::isBlank)) {
      return Optional.of(DropReason.EMPTY);
    }
    if (utf8Bytes(event) > config.maxContentBytes()) {
      return Optional.of(DropReason.OVERSIZED);
    }
    // Garbage per text (a command with binary output is garbage however readable the command is),
    // encoding junk over the whole turn (a few damaged characters in one short text are not).
    TextChecks.CharStats stats = TextChecks.NO_CHARS;
    boolean garbageText = false;
    for (String text : content) {
      TextChecks.CharStats textStats = TextChecks.charStats(text);
      garbageText |=
          textStats.visible() > 0
              && (double) textStats.unprintable() / textStats.visible() > config.garbageMaxShare();
      stats = stats.plus(textStats);
    }
    if (garbageText || stats.lettersOrDigits() == 0) {
      return Optional.of(DropReason.GARBAGE);
    }
    if (stats.junkHits() >= config.encodingJunkMinCount()
        && (double) stats.junk() / stats.visible() >= config.encodingJunkMinShare()) {
      return Optional.of(DropReason.ENCODING_JUNK);
    }
    for (String text : content) {
      if (isRepetitive(text)) {
        return Optional.of(DropReason.REPETITION);
      }
    }
    return Optional.empty();
  }

  private boolean isRepetitive(String text) {
    if (TextChecks.topLineShare(text, config.repeatedLineMinLines())
        >= config.repeatedLineMaxShare()) {
      return true;
    }
    return TextChecks.topNgramShare(
            MinHash.words(text), config.ngramSize(), config.repeatedNgramMinWords())
        >= config.repeatedNgramMaxShare();
  }

  /**
   * The exact hash covers roles, all messages, tool names, arguments, outputs and exit codes, each
   * NFC-normalised with whitespace runs collapsed (case is kept: {@code LS} is not {@code ls}).
   * Ids, session, turn and timestamps are not content. The MinHash covers the content only (tool
   * names and the JSON of the arguments would make every sandbox command look alike).
   */
  public Fingerprint fingerprint(Interaction event) {
    MessageDigest sha = sha256();
    field(sha, event.operationName());
    for (Message m : event.messages()) {
      // An assistant message that only called tools holds no content of its own (its calls are
      // hashed below); skipped, a turn hashes as it did before messages named their calls.
      if (m.content().isEmpty() && !m.toolCallIds().isEmpty()) {
        continue;
      }
      field(sha, m.role().json());
      field(sha, m.content());
    }
    for (ToolCall c : event.toolCalls()) {
      field(sha, c.name());
      field(sha, c.arguments());
      sha.update((byte) (c.output() == null ? 0 : 1));
      field(sha, c.output() == null ? "" : c.output());
      field(sha, String.valueOf(c.exitCode()));
    }
    long exact = ByteBuffer.wrap(sha.digest()).getLong();
    Set<Long> shingles =
        MinHash.shingles(MinHash.words(String.join("\n", content(event))), config.shingleSize());
    return new Fingerprint(
        exact, MinHash.signature(shingles), shingles.size() >= config.nearDuplicateMinShingles());
  }

  /** Non-system message contents and tool outputs. */
  static List<String> content(Interaction event) {
    List<String> content = new ArrayList<>();
    for (Message m : event.messages()) {
      if (m.role() != Role.SYSTEM) {
        content.add(m.content());
      }
    }
    for (ToolCall c : event.toolCalls()) {
      if (c.output() != null) {
        content.add(c.output());
      }
    }
    return content;
  }

  /** Every text of the event: all messages, tool arguments and outputs. */
  private static long utf8Bytes(Interaction event) {
    long bytes = 0;
    for (Message m : event.messages()) {
      bytes += utf8Length(m.content());
    }
    for (ToolCall c : event.toolCalls()) {
      bytes += utf8Length(c.arguments());
      bytes += c.output() == null ? 0 : utf8Length(c.output());
    }
    return bytes;
  }

  static long utf8Length(String s) {
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < 0x80) {
        bytes += 1;
      } else if (ch < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(ch)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  private static void field(MessageDigest sha, String value) {
    String normal =
        WHITESPACE
            .matcher(Normalizer.normalize(value, Normalizer.Form.NFC))
            .replaceAll(" ")
            .strip();
    byte[] bytes = normal.getBytes(StandardCharsets.UTF_8);
    // length-prefixed: "ab"+"c" must not hash like "a"+"bc"
    sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
    sha.update(bytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
