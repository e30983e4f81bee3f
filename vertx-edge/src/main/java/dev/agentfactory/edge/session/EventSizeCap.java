package dev.agentfactory.edge.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.ToolCall;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * Cuts an interaction event that would not fit in one Kafka record. Kafka refuses a record over the
 * producer's {@code max.request.size} (1 MiB by default) with {@code RecordTooLargeException}, and
 * the whole turn would be lost; an agent turn of many tool calls, each with up to 64 KiB of output,
 * gets there easily.
 *
 * <p>The largest texts are cut first, and evenly: tool outputs, each cut to the same length (the
 * shorter ones are left whole), and only if that is not enough the message contents, tool
 * arguments, feedback and reference texts the same way. A cut text keeps its start and ends with
 * {@value #MARKER_TEXT}; cut arguments, which must stay JSON, become {@code {"_raw":"<their
 * start>"}}. The event says it was cut ({@code truncated}), and so does each call whose output was
 * ({@code output_truncated}).
 *
 * <pre>{@code
 * Interaction fits = EventSizeCap.fit(event, KafkaInteractionRecorder.MAX_EVENT_BYTES);
 * }</pre>
 */
final class EventSizeCap {

  static final String MARKER_TEXT = "[truncated]";

  /** What a cut text ends with. */
  static final String MARKER = "\n" + MARKER_TEXT;

  private static final InteractionCodec CODEC = new InteractionCodec();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The JSON of a cut call's flag, which its cut output must also pay for. */
  private static final int OUTPUT_FLAG_BYTES = ",\"output_truncated\":true".length();

  private static final int MARKER_BYTES = MARKER.length() + 1; // \n is two bytes in JSON

  /** Cut arguments are at least this long: {@code {"_raw":""}} as the event's JSON holds it. */
  private static final int WRAPPER_BYTES =
      jsonLength(
          "{\"" + KafkaInteractionRecorder.RAW_ARGUMENTS + "\":\"\"}", EventSizeCap::jsonCost);

  /** How often a level is lowered by what the last one missed before cutting to nothing. */
  private static final int ATTEMPTS = 6;

  private EventSizeCap() {}

  /**
   * {@code event} if its JSON is at most {@code maxBytes}, else a copy cut to fit.
   *
   * @throws IllegalArgumentException if even with every text cut the event is over {@code maxBytes}
   *     (thousands of tool calls: what is left is not text)
   */
  static Interaction fit(Interaction event, int maxBytes) {
    if (size(event) <= maxBytes) {
      return event;
    }
    Interaction cut = cutOutputs(event.markedTruncated(), maxBytes);
    if (size(cut) > maxBytes) {
      cut = cutTexts(cut, maxBytes);
    }
    int size = size(cut);
    if (size > maxBytes) {
      throw new IllegalArgumentException(
          "the interaction event is "
              + size
              + " bytes with every text cut, over the limit of "
              + maxBytes);
    }
    return cut;
  }

  /** The event's size on Kafka, in bytes of JSON. */
  static int size(Interaction event) {
    return CODEC.toJson(event).length;
  }

  /** The event with its longest tool outputs cut to one level, as far as that is enough. */
  private static Interaction cutOutputs(Interaction event, int maxBytes) {
    List<ToolCall> calls = event.toolCalls();
    int[] sizes = new int[calls.size()];
    for (int i = 0; i < sizes.length; i++) {
      String output = calls.get(i).output();
      sizes[i] = output == null ? 0 : jsonLength(output);
    }
    return cutToLevel(
        event,
        sizes,
        maxBytes,
        level -> {
          List<ToolCall> cut = new ArrayList<>(calls.size());
          for (int i = 0; i < sizes.length; i++) {
            ToolCall call = calls.get(i);
            cut.add(
                sizes[i] > Math.max(level, MARKER_BYTES + OUTPUT_FLAG_BYTES)
                    ? call.withOutputTruncatedTo(cutText(call.output(), level - OUTPUT_FLAG_BYTES))
                    : call);
          }
          return event.withToolCalls(cut);
        });
  }

  /**
   * The event with its longest other texts (message contents, tool arguments, the feedback's
   * rejected contents and comment, the reference's texts) cut to one level.
   */
  private static Interaction cutTexts(Interaction event, int maxBytes) {
    Map<String, String> texts = new HashMap<>();
    event.withRewrittenText(
        (field, text) -> {
          if (!field.startsWith("tool_calls[")) {
            texts.put(field, text);
          }
          return text;
        });
    List<String> fields = new ArrayList<>(texts.keySet());
    List<ToolCall> calls = event.toolCalls();
    int[] sizes = new int[fields.size() + calls.size()];
    for (int i = 0; i < fields.size(); i++) {
      sizes[i] = jsonLength(texts.get(fields.get(i)));
    }
    for (int i = 0; i < calls.size(); i++) {
      sizes[fields.size() + i] = jsonLength(calls.get(i).arguments());
    }
    return cutToLevel(
        event,
        sizes,
        maxBytes,
        level -> {
          Map<String, String> cut = new HashMap<>();
          for (int i = 0; i < fields.size(); i++) {
            if (sizes[i] > Math.max(level, MARKER_BYTES)) {
              cut.put(fields.get(i), cutText(texts.get(fields.get(i)), level));
            }
          }
          List<ToolCall> cutCalls = new ArrayList<>(calls.size());
          for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            cutCalls.add(
                sizes[fields.size() + i] > Math.max(level, WRAPPER_BYTES)
                    ? call.withArguments(cutArguments(call.arguments(), level))
                    : call);
          }
          return event
              .withRewrittenText((field, text) -> cut.getOrDefault(field, text))
              .withToolCalls(cutCalls);
        });
  }

  /** What cutting every text longer than a level to that level makes of the event. */
  @FunctionalInterface
  private interface Cut {
    Interaction atLevel(int level);
  }

  /**
   * Cuts to the highest level that saves enough, by the texts' {@code sizes}; lowers the level by
   * what a cut missed (its marker, flags) and tries again; at worst cuts every text to nothing.
   */
  private static Interaction cutToLevel(Interaction event, int[] sizes, int maxBytes, Cut cut) {
    long excess = size(event) - (long) maxBytes;
    Interaction attempt = event;
    for (int i = 0; i < ATTEMPTS && excess > 0; i++) {
      int level = level(sizes, excess);
      attempt = cut.atLevel(level);
      int size = size(attempt);
      if (size <= maxBytes || level == 0) {
        return attempt;
      }
      excess += size - maxBytes;
    }
    return cut.atLevel(0);
  }

  /** The highest level such that cutting every size over it down to it saves {@code excess}. */
  static int level(int[] sizes, long excess) {
    int low = 0;
    int high = 0;
    for (int size : sizes) {
      high = Math.max(high, size);
    }
    while (low < high) {
      int mid = (int) (((long) low + high + 1) >>> 1);
      if (saving(sizes, mid) >= excess) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return low;
  }

  private static long saving(int[] sizes, int level) {
    long saved = 0;
    for (int size : sizes) {
      saved += Math.max(0, size - level);
    }
    return saved;
  }

  /** The start of {@code text} and the marker, in at most {@code bytes} of JSON if it can be. */
  private static String cutText(String text, int bytes) {
    int room = bytes - MARKER_BYTES;
    return prefix(text, room, EventSizeCap::jsonCost) + MARKER;
  }

  /**
   * Arguments cut to their start, wrapped as {@code {"_raw":"<start>"}} (JSON, as the pipeline
   * requires; a cut JSON text is none), in at most {@code bytes} of the event's JSON if it can be.
   */
  private static String cutArguments(String arguments, int bytes) {
    String start = prefix(arguments, bytes - WRAPPER_BYTES, EventSizeCap::twiceEscapedCost);
    return JSON.createObjectNode().put(KafkaInteractionRecorder.RAW_ARGUMENTS, start).toString();
  }

  /** The longest start of {@code text} that costs at most {@code bytes}; pairs are not split. */
  private static String prefix(String text, int bytes, IntUnaryOperator cost) {
    int spent = 0;
    int end = 0;
    while (end < text.length()) {
      int codePoint = text.codePointAt(end);
      spent += cost.applyAsInt(codePoint);
      if (spent > bytes) {
        break;
      }
      end += Character.charCount(codePoint);
    }
    return text.substring(0, end);
  }

  /** The bytes {@code text} takes inside a JSON string, UTF-8, as Jackson writes it. */
  static int jsonLength(String text) {
    return jsonLength(text, EventSizeCap::jsonCost);
  }

  private static int jsonLength(String text, IntUnaryOperator cost) {
    int length = 0;
    for (int i = 0; i < text.length(); ) {
      int codePoint = text.codePointAt(i);
      length += cost.applyAsInt(codePoint);
      i += Character.charCount(codePoint);
    }
    return length;
  }

  /** The bytes one code point takes inside a JSON string, UTF-8. */
  private static int jsonCost(int c) {
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
      return 2;
    } else if (c < 0x20) {
      return 6; // a six-character escape
    } else if (c < 0x80) {
      return 1;
    } else if (c < 0x800) {
      return 2;
    } else if (c < 0x10000) {
      return 3;
    }
    // Jackson writes a surrogate pair as two escapes unless COMBINE_UNICODE_SURROGATES_IN_UTF8
    return 12;
  }

  /** The bytes one code point takes in a JSON string inside a JSON string (wrapped arguments). */
  private static int twiceEscapedCost(int c) {
    if (c == '"' || c == '\\') {
      return 4; // \\\" and \\\\
    } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
      return 3; // \\n
    } else if (c < 0x20) {
      return 7; // a six-character escape, its backslash escaped
    }
    return jsonCost(c);
  }
}
