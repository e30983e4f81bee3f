package dev.agentfactory.jobs.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The judge's rubric: the prompt that asks for a 1–5 rating of the agent's turn and the parser of
 * the answer. {@link #VERSION} goes into every judge label; change it with the prompt.
 */
public final class JudgeRubric {

  public static final String VERSION = dev.agentfactory.connectors.flink.JudgeConfig.RUBRIC_VERSION;

  static final String SYSTEM_PROMPT =
      """
      You grade one turn of an AI agent. Read the transcript (user, assistant and tool messages) \
      and rate how well the agent accomplished what the user asked: 5 = fully and correctly, \
      4 = mostly, 3 = partly, 2 = barely, 1 = not at all or harmful. Answer with JSON only: \
      {"score": <1-5>, "reason": "<one sentence>"}""";

  /** Per text cap in the transcript: judges need the gist, not megabytes of tool output. */
  static final int MAX_TEXT_CHARS = 4_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  private JudgeRubric() {}

  /** The transcript the judge reads, one block per message and tool call. */
  public static String transcript(Interaction event) {
    StringBuilder sb = new StringBuilder();
    for (Message m : event.messages()) {
      if (m.content().isEmpty() && !m.toolCallIds().isEmpty()) {
        continue; // only called tools: the calls follow below (and cached verdicts stay valid)
      }
      sb.append('[').append(m.role().json()).append("]\n");
      sb.append(cap(m.content())).append("\n\n");
    }
    for (ToolCall c : event.toolCalls()) {
      sb.append("[tool ").append(c.name()).append(" status=").append(c.status().json());
      if (c.exitCode() != null) {
        sb.append(" exit=").append(c.exitCode());
      }
      sb.append("]\n").append(cap(c.arguments())).append("\n→ ");
      sb.append(c.output() == null ? "" : cap(c.output())).append("\n\n");
    }
    return sb.toString();
  }

  /**
   * The cache key: SHA-256 over the judge version and the transcript. Two examples with the same
   * content share a verdict; a new model or rubric never reuses an old one.
   */
  public static String cacheKey(String judgeVersion, String transcript) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(judgeVersion.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(transcript.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code <model>/<rubric version>}: what a cached verdict is valid for. */
  public static String judgeVersion(String model) {
    return model + "/" + VERSION;
  }

  /**
   * Parses the assistant content of a chat completion: a JSON object with an integer {@code score}
   * of 1–5, possibly wrapped in prose or a code fence.
   *
   * @throws JudgeException naming what is missing
   */
  public static JudgeVerdict parse(String content, String model) {
    int start = content.indexOf('{');
    int end = content.lastIndexOf('}');
    if (start < 0 || end < start) {
      throw new JudgeException("judge answer: no JSON object in '" + abbreviate(content) + "'");
    }
    JsonNode node;
    try {
      node = JSON.readTree(content.substring(start, end + 1));
    } catch (java.io.IOException e) {
      throw new JudgeException("judge answer: not JSON: '" + abbreviate(content) + "'", e);
    }
    JsonNode score = node.get("score");
    if (score == null || !score.isNumber()) {
      throw new JudgeException("judge answer.score: missing or not a number");
    }
    double rating = score.asDouble();
    if (rating < 1 || rating > 5) {
      throw new JudgeException("judge answer.score: must be 1-5 but was " + rating);
    }
    double normalised = (rating - 1) / 4;
    return new JudgeVerdict(normalised, rating >= 4 ? "pass" : "fail", model, VERSION);
  }

  private static String cap(String text) {
    return text.length() <= MAX_TEXT_CHARS
        ? text
        : text.substring(0, MAX_TEXT_CHARS) + " …[" + (text.length() - MAX_TEXT_CHARS) + " more]";
  }

  private static String abbreviate(String text) {
    String t = text.length() > 80 ? text.substring(0, 80) + "…" : text;
    return t.replace('\n', ' ');
  }
}
