package dev.agentfactory.edge.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code scripted} provider: deterministic policies that need no model server, for demos and
 * tests. Everything they produce is labelled scripted (the provider name, the {@code scripted/}
 * model prefix and {@link ModelResponse#scripted()}).
 *
 * <p>{@value #MATH_MODEL} answers arithmetic questions the way a tool-using model would: for "what
 * is 12*(3+4)?" it calls {@value #EXEC_TOOL} with {@code python3 -c 'print(12*(3+4))'}, and given
 * the tool's output it answers "12*(3+4) = 84". It never computes the answer itself; the sandbox
 * does. Anything else gets a polite answer saying what it can do. Output is streamed in small
 * deltas through the same {@link ModelStream} as a real model, with the same back-pressure.
 */
public final class ScriptedPolicy implements ModelProvider {

  public static final String MATH_MODEL = "scripted/math-v1";

  /** The function name of the built-in {@code sandbox.exec} tool. */
  public static final String EXEC_TOOL = "sandbox_exec";

  /** The models this provider serves. */
  public static final List<String> MODELS = List.of(MATH_MODEL);

  private static final int TEXT_CHUNK = 8;
  private static final int ARGUMENT_CHUNK = 12;
  private static final Pattern PRINT_COMMAND = Pattern.compile("^python3 -c 'print\\((.*)\\)'$");

  private final Vertx vertx;
  private final ObjectMapper mapper = new ObjectMapper();

  public ScriptedPolicy(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public String name() {
    return "scripted";
  }

  @Override
  public boolean scripted() {
    return true;
  }

  @Override
  public ModelStream stream(ChatRequest request) {
    Context context = vertx.getOrCreateContext();
    return new BufferedModelStream(
        context,
        out -> {
          if (!MODELS.contains(request.model())) {
            out.fail(
                ModelException.of(
                    ModelErrorCode.UNSUPPORTED,
                    "the scripted provider has no policy '"
                        + request.model()
                        + "'; it serves "
                        + MODELS));
            return;
          }
          new Playback(context, out, script(request), request).start();
        });
  }

  /** What one turn says: text, and at most one tool call. */
  record Turn(String text, Optional<ToolCall> call) {}

  Turn script(ChatRequest request) {
    ChatMessage last = request.messages().get(request.messages().size() - 1);
    if (last instanceof ChatMessage.Tool result) {
      return answer(request, result);
    }
    if (last instanceof ChatMessage.User user) {
      Optional<String> expression = ArithmeticQuestion.expression(user.content());
      if (expression.isEmpty()) {
        return new Turn(
            "I am a scripted math agent ("
                + MATH_MODEL
                + "), not a language model. I can work out arithmetic for you by running"
                + " Python in the sandbox: ask me something like \"what is 12*(3+4)?\" or"
                + " \"compute 2**10 - 1\".",
            Optional.empty());
      }
      boolean canExec = request.tools().stream().anyMatch(t -> t.name().equals(EXEC_TOOL));
      if (!canExec) {
        return new Turn(
            "I would compute "
                + expression.get()
                + " in the sandbox, but this agent does not"
                + " give me the sandbox.exec tool.",
            Optional.empty());
      }
      String command = "python3 -c 'print(" + expression.get() + ")'";
      String arguments = mapper.createObjectNode().put("command", command).toString();
      String id = "call_scripted_" + request.messages().size();
      return new Turn("", Optional.of(new ToolCall(id, EXEC_TOOL, arguments)));
    }
    return new Turn("Ask me an arithmetic question, e.g. \"what is 12*(3+4)?\".", Optional.empty());
  }

  private Turn answer(ChatRequest request, ChatMessage.Tool result) {
    String expression = null;
    for (ChatMessage message : request.messages()) {
      if (message instanceof ChatMessage.Assistant assistant) {
        for (ToolCall call : assistant.toolCalls()) {
          if (call.id().equals(result.toolCallId())) {
            expression = expressionOf(call);
          }
        }
      }
    }
    ToolOutput output = ToolOutput.parse(mapper, result.content());
    if (!output.succeeded()) {
      return new Turn(
          "I ran the calculation in the sandbox but it failed: " + output.error(),
          Optional.empty());
    }
    String value = output.stdout().strip();
    return new Turn(
        expression == null ? "The sandbox says: " + value : expression + " = " + value,
        Optional.empty());
  }

  private String expressionOf(ToolCall call) {
    try {
      JsonNode arguments = mapper.readTree(call.argumentsJson());
      Matcher m = PRINT_COMMAND.matcher(arguments.path("command").asText(""));
      return m.matches() ? m.group(1) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * A tool result: the engine's JSON ({@code {"exit_code":0,"stdout":"84\n","stderr":""}}) or,
   * failing that, the content as plain stdout.
   */
  record ToolOutput(boolean succeeded, String stdout, String error) {
    static ToolOutput parse(ObjectMapper mapper, String content) {
      try {
        JsonNode node = mapper.readTree(content);
        if (node != null && node.isObject() && node.has("stdout")) {
          int exit = node.path("exit_code").asInt(0);
          String stderr = node.path("stderr").asText("").strip();
          String status = node.path("status").asText("exited");
          boolean ok = exit == 0 && status.equals("exited");
          return new ToolOutput(
              ok,
              node.path("stdout").asText(""),
              stderr.isEmpty() ? status + " with exit code " + exit : stderr);
        }
      } catch (IOException notJson) {
        // plain text output
      }
      return new ToolOutput(true, content, "");
    }
  }

  /** Plays a turn as a stream: small deltas, one per event-loop turn, pausing on back-pressure. */
  private final class Playback implements BufferedModelStream.Upstream {
    private final Context context;
    private final BufferedModelStream out;
    private final List<Runnable> steps = new ArrayList<>();
    private int next;
    private boolean paused;
    private boolean cancelled;
    private boolean scheduled;

    Playback(Context context, BufferedModelStream out, Turn turn, ChatRequest request) {
      this.context = context;
      this.out = out;
      String text = turn.text();
      for (int i = 0; i < text.length(); i += TEXT_CHUNK) {
        String piece = text.substring(i, Math.min(text.length(), i + TEXT_CHUNK));
        steps.add(() -> out.emit(new ModelEvent.TextDelta(piece)));
      }
      turn.call()
          .ifPresent(
              call -> {
                steps.add(
                    () -> out.emit(new ModelEvent.ToolCallDelta(0, call.id(), call.name(), "")));
                String args = call.argumentsJson();
                for (int i = 0; i < args.length(); i += ARGUMENT_CHUNK) {
                  String piece = args.substring(i, Math.min(args.length(), i + ARGUMENT_CHUNK));
                  steps.add(() -> out.emit(new ModelEvent.ToolCallDelta(0, null, null, piece)));
                }
                steps.add(() -> out.emit(new ModelEvent.ToolCallReady(0, call)));
              });
      int completion = text.length() + turn.call().map(c -> c.argumentsJson().length()).orElse(0);
      int prompt = request.messages().stream().mapToInt(ScriptedPolicy::length).sum();
      TokenUsage usage =
          new TokenUsage(
              estimate(prompt), estimate(completion), estimate(prompt) + estimate(completion));
      ModelResponse response =
          new ModelResponse(
              name(),
              request.model(),
              text,
              turn.call().stream().toList(),
              turn.call().isPresent() ? FinishReason.TOOL_CALLS : FinishReason.STOP,
              usage,
              true);
      steps.add(() -> out.complete(response));
    }

    void start() {
      out.upstream(this);
      schedule();
    }

    private void schedule() {
      if (scheduled) {
        return;
      }
      scheduled = true;
      context.runOnContext(
          v -> {
            scheduled = false;
            if (cancelled || paused || next >= steps.size()) {
              return;
            }
            steps.get(next++).run();
            schedule();
          });
    }

    @Override
    public void pause() {
      paused = true;
    }

    @Override
    public void resume() {
      if (paused) {
        paused = false;
        schedule();
      }
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  private static int length(ChatMessage message) {
    if (message instanceof ChatMessage.System s) {
      return s.content().length();
    } else if (message instanceof ChatMessage.User u) {
      return u.content().length();
    } else if (message instanceof ChatMessage.Assistant a) {
      return a.content().length()
          + a.toolCalls().stream().mapToInt(c -> c.argumentsJson().length()).sum();
    } else if (message instanceof ChatMessage.Tool t) {
      return t.content().length();
    }
    return 0;
  }

  /** Roughly four characters a token; scripted usage is an estimate, not a tokenizer count. */
  private static int estimate(int chars) {
    return (chars + 3) / 4;
  }
}
