package dev.agentfactory.edge.session;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.connectors.kafka.InteractionPublisher;
import dev.agentfactory.edge.model.ChatMessage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Publishes each finished command as an interaction event to Kafka. The publisher never blocks the
 * caller: it buffers (and retries while Kafka is away), and the returned future completes when
 * Kafka has acknowledged, or fails with a {@link
 * dev.agentfactory.connectors.kafka.PublishException} naming why not.
 */
public final class KafkaInteractionRecorder implements InteractionRecorder {

  /** Until agents exist, sessions run the built-in shell agent. */
  static final String AGENT_NAME = "shell";

  static final String AGENT_VERSION = "0";

  /** The key under which tool-call arguments that are not JSON are published. */
  static final String RAW_ARGUMENTS = "_raw";

  /**
   * The most bytes of JSON an event may have; a larger one is cut to fit ({@link EventSizeCap}).
   * Below the producer's {@code max.request.size} (1,048,576 by default, which the publisher keeps)
   * with room for the key, the record's overhead and its headers, and below the 1,000,000 bytes the
   * pipeline allows a dead letter, next to its reason headers: an event Kafka accepted is never cut
   * again on its way to the dead-letter topic.
   */
  public static final int MAX_EVENT_BYTES = 960_000;

  /** Strict: text after the first value makes arguments invalid, as it does for a reader. */
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final Vertx vertx;
  private final InteractionPublisher publisher;

  public KafkaInteractionRecorder(Vertx vertx, InteractionPublisher publisher) {
    this.vertx = vertx;
    this.publisher = publisher;
  }

  @Override
  public Future<Void> record(SessionRecord record) {
    Interaction event;
    try {
      event = toEvent(record);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return Future.fromCompletionStage(publisher.publish(event), vertx.getOrCreateContext());
  }

  /** The publisher's buffer is over its high-water mark: Kafka is slow or away. */
  @Override
  public boolean backlogged() {
    return publisher.backlogged();
  }

  /**
   * The interaction event {@code record} becomes, its texts cut if it would be over {@link
   * #MAX_EVENT_BYTES} (then marked {@code truncated}).
   */
  public static Interaction toEvent(SessionRecord record) {
    return EventSizeCap.fit(uncut(record), MAX_EVENT_BYTES);
  }

  private static Interaction uncut(SessionRecord record) {
    if (record instanceof ExecRecord exec) {
      return toEvent(exec);
    } else if (record instanceof AgentTurnRecord turn) {
      return toEvent(turn);
    } else if (record instanceof StoredTurnRecord stored) {
      return stored.event();
    }
    return toEvent((FeedbackRecord) record);
  }

  /** The turn's event again, with the feedback and reference, amending the original event. */
  static Interaction toEvent(FeedbackRecord record) {
    Interaction turn = toEvent(record.turn());
    return turn.amendedWith(
        record.eventId(), record.feedback().orElse(null), record.reference().orElse(null));
  }

  static Interaction toEvent(ExecRecord record) {
    String command = displayCommand(record);
    ToolCallStatus status = toolStatus(record.status(), record.exitCode());
    return Interaction.builder()
        .eventId(record.eventId())
        .tenant(record.tenant())
        .sessionId(record.sessionId())
        .turn(record.turn() - 1)
        .agent(AGENT_NAME, AGENT_VERSION)
        .operationName(Interaction.OPERATION_EXECUTE_TOOL)
        .createdAt(record.startedAt())
        // a command a cancel frame stopped is a turn cut short, as an agent turn would be
        .outcome(status == ToolCallStatus.CANCELLED ? TurnOutcome.CANCELLED : TurnOutcome.COMPLETED)
        .message(Message.user(command))
        .toolCall(
            new ToolCall(
                execCallId(record.turn() - 1),
                Interaction.TOOL_SANDBOX_EXEC,
                InteractionCodec.commandArguments(command),
                record.output(),
                record.exitCode(),
                status,
                record.durationMs()))
        .latencyMs(record.durationMs())
        .build();
  }

  /**
   * The call id a command's event carries: {@code exec-<turn>}, not the id the client gave its
   * {@code exec} frame. The client's id is free text that no scrubber reads (the pipeline scans
   * contents, arguments and outputs, not ids), so an id like {@code alice@corp.io} would reach the
   * datasets' {@code tool_call_id} as it was; the event has one call, so the turn names it.
   */
  static String execCallId(int turn) {
    return "exec-" + turn;
  }

  /**
   * An agent turn as a {@code chat} interaction: the user message, every assistant message the turn
   * produced (one that only called tools too, with empty content) naming the calls it made, the
   * tool calls with their results, the model and its token usage (left out when the model server
   * did not report it: unknown is not 0 tokens). A turn cut short has its outcome and what it did
   * before it stopped (no model if no model call finished).
   */
  static Interaction toEvent(AgentTurnRecord record) {
    AgentLoop.Turn turn = record.result();
    Interaction.Builder event =
        Interaction.builder()
            .eventId(record.eventId())
            .tenant(record.tenant())
            .sessionId(record.sessionId())
            .turn(record.turn() - 1)
            .agent(record.agentName(), record.agentVersion())
            .operationName(Interaction.OPERATION_CHAT)
            .createdAt(record.startedAt())
            .model(turn.lastResponse() == null ? null : turn.lastResponse().model())
            .outcome(record.outcome())
            .latencyMs(turn.latencyMs())
            .message(Message.user(turn.userContent()));
    if (turn.usage().known()) {
      event.usage(turn.usage().promptTokens(), turn.usage().completionTokens());
    }
    // Each assistant message names the calls it made, so the datasets can put every call's result
    // right after it and before the next answer (docs/events.md, tool_call_ids). The results
    // themselves travel once, in tool_calls, not again as tool messages.
    List<String> recorded = new ArrayList<>();
    for (AgentLoop.ToolCallRecord call : turn.toolCalls()) {
      recorded.add(call.call().id());
    }
    for (ChatMessage message : turn.produced()) {
      if (message instanceof ChatMessage.Assistant assistant) {
        List<String> ids = new ArrayList<>();
        for (dev.agentfactory.edge.model.ToolCall call : assistant.toolCalls()) {
          // a call the turn did not record (none so far) would name nothing in tool_calls
          if (recorded.remove(call.id())) {
            ids.add(call.id());
          }
        }
        if (!assistant.content().isEmpty() || !ids.isEmpty()) {
          event.message(Message.assistant(assistant.content(), ids));
        }
      }
    }
    for (AgentLoop.ToolCallRecord call : turn.toolCalls()) {
      ToolRun run = call.run();
      event.toolCall(
          new ToolCall(
              call.call().id(),
              call.call().name(),
              publishable(call.call().argumentsJson()),
              run.stdout() + run.stderr(),
              run.exitCode(),
              toolStatus(run.status(), run.exitCode()),
              run.durationMs()));
    }
    return event.build();
  }

  /**
   * The model's arguments as the event carries them: as they are when they are JSON text, else (cut
   * off at {@code finish_reason=length}, two objects run together) wrapped as {@code {"_raw":"<the
   * text>"}}. The pipeline rejects an event whose arguments are not JSON, which would send the
   * whole turn to the dead-letter topic; the call itself was answered with a tool error.
   */
  static String publishable(String arguments) {
    return isJsonText(arguments)
        ? arguments
        : JSON.createObjectNode().put(RAW_ARGUMENTS, arguments).toString();
  }

  /** Exactly one JSON value (blank text is none). */
  private static boolean isJsonText(String text) {
    try {
      JsonNode value = JSON.readTree(text);
      return value != null && !value.isMissingNode();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * How a tool call ended (exited, timeout, killed, failed; ok, error; cancelled, not_run), as the
   * event records it.
   */
  private static ToolCallStatus toolStatus(String status, Integer exitCode) {
    return switch (status) {
      case "exited" -> exitCode != null && exitCode == 0 ? ToolCallStatus.OK : ToolCallStatus.ERROR;
      case "ok" -> ToolCallStatus.OK; // a tool other than a command that succeeded
      case "timeout" -> ToolCallStatus.TIMEOUT;
      case "cancelled" -> ToolCallStatus.CANCELLED; // cut off by the session's end or a cancel
      case ToolRun.NOT_RUN -> ToolCallStatus.NOT_RUN; // answered without running
      default -> ToolCallStatus.ERROR;
    };
  }

  /** The command as the user wrote it: the shell line, or the argv joined by spaces. */
  private static String displayCommand(ExecRecord record) {
    var argv = record.argv();
    if (argv.size() == 3 && argv.get(0).equals("/bin/sh") && argv.get(1).equals("-c")) {
      return argv.get(2);
    }
    return argv.stream().collect(Collectors.joining(" "));
  }
}
