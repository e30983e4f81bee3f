package dev.agentfactory.edge.tools;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs a helper program in a sandbox and collects its output, for tools that are implemented by a
 * program inside the sandbox (the HTTP fetcher, the MCP stdio bridge) rather than by the model's
 * own command line. The sandbox caps the output; the result completes on {@code context}.
 */
public final class SandboxCommand {

  /** The output of a finished command, decoded as UTF-8. */
  public record Output(ExecResult result, String stdout, String stderr) {
    public boolean succeeded() {
      return result.status() == ExecResult.Status.EXITED && result.exitCode() == 0;
    }

    /** Why it did not succeed, for an error result. */
    public String failure() {
      String how =
          switch (result.status()) {
            case TIMEOUT -> "timed out after " + result.duration().toMillis() + " ms";
            case KILLED -> "was killed (exit code " + result.exitCode() + ")";
            case EXITED -> "exited with code " + result.exitCode();
          };
      String err = stderr.strip();
      if (err.length() > 2000) {
        err = "…" + err.substring(err.length() - 2000);
      }
      return how + (err.isEmpty() ? "" : ": " + err);
    }
  }

  private SandboxCommand() {}

  public static Future<Output> run(
      Context context,
      Sandbox sandbox,
      List<String> argv,
      Map<String, String> env,
      Duration timeout,
      long maxOutputBytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OutputListener listener =
        (stream, chunk) -> {
          ByteArrayOutputStream target = stream == OutputListener.Stream.STDOUT ? out : err;
          synchronized (target) {
            target.writeBytes(chunk);
          }
        };
    Promise<Output> done = Promise.promise();
    try {
      sandbox
          .exec(new ExecRequest(argv, env, timeout, maxOutputBytes), listener)
          .whenComplete(
              (result, error) ->
                  context.runOnContext(
                      v -> {
                        if (error != null) {
                          done.fail(error);
                          return;
                        }
                        String stdout;
                        String stderr;
                        synchronized (out) {
                          stdout = out.toString(StandardCharsets.UTF_8);
                        }
                        synchronized (err) {
                          stderr = err.toString(StandardCharsets.UTF_8);
                        }
                        done.complete(new Output(result, stdout, stderr));
                      }));
    } catch (RuntimeException e) {
      done.fail(e);
    }
    return done.future();
  }
}
