package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.ExecRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The body of an exec call, parsed and checked once:
 *
 * <pre>{@code
 * {"command": "ls -la"}                       // run by /bin/sh -c
 * {"argv": ["python3", "-c", "print(1)"], "stdin": "…", "timeout_ms": 5000,
 *  "env": {"A": "1"}, "max_output_bytes": 65536}
 * }</pre>
 *
 * @param argv the program and its arguments
 * @param stdin what the command reads on stdin; null for nothing ({@code /dev/null})
 * @param timeout killed after this long
 * @param env extra environment
 * @param maxOutputBytes output beyond this (both streams) is dropped and the result truncated
 */
record ExecCommand(
    List<String> argv,
    byte[] stdin,
    Duration timeout,
    Map<String, String> env,
    long maxOutputBytes) {

  static final long MAX_TIMEOUT_MS = Duration.ofHours(1).toMillis();
  static final long MAX_OUTPUT_BYTES = 8L << 20;

  private static final Set<String> FIELDS =
      Set.of("command", "argv", "stdin", "timeout_ms", "env", "max_output_bytes");
  private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  static ExecCommand parse(JsonObject body) {
    Bodies.onlyKnown(body, FIELDS, "");
    String command = Bodies.string(body, "command", false);
    Object argvValue = body.getValue("argv");
    List<String> argv;
    if (command != null && argvValue != null) {
      throw ApiException.badField("argv", "and command are exclusive: send one");
    }
    if (command != null) {
      if (command.isBlank()) {
        throw ApiException.badField("command", "must not be blank");
      }
      argv = List.of("/bin/sh", "-c", command);
    } else if (argvValue instanceof JsonArray array && !array.isEmpty()) {
      argv = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof String s)) {
          throw ApiException.badField("argv[" + i + "]", "must be a string");
        }
        argv.add(Bodies.utf8("argv[" + i + "]", s));
      }
    } else if (argvValue == null) {
      throw ApiException.badField("command", "or argv must be set");
    } else {
      throw ApiException.badField("argv", "must be a non-empty array of strings");
    }
    for (int i = 0; i < argv.size(); i++) {
      if (argv.get(i).indexOf('\0') >= 0) {
        throw ApiException.badField(
            command != null ? "command" : "argv[" + i + "]", "contains NUL");
      }
    }
    String stdin = Bodies.string(body, "stdin", false);
    Long timeoutMs = Bodies.longValue(body, "timeout_ms");
    if (timeoutMs != null && (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS)) {
      throw ApiException.badField(
          "timeout_ms", "must be in [1, " + MAX_TIMEOUT_MS + "], was " + timeoutMs);
    }
    Map<String, String> env = Bodies.stringMap(body, "env");
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (!ENV_KEY.matcher(e.getKey()).matches()) {
        throw ApiException.badField("env['" + e.getKey() + "']", "is not a variable name");
      }
      if (e.getValue().indexOf('\0') >= 0) {
        throw ApiException.badField("env['" + e.getKey() + "']", "contains NUL");
      }
    }
    Long maxOutput = Bodies.longValue(body, "max_output_bytes");
    if (maxOutput != null && (maxOutput < 1 || maxOutput > MAX_OUTPUT_BYTES)) {
      throw ApiException.badField(
          "max_output_bytes", "must be in [1, " + MAX_OUTPUT_BYTES + "], was " + maxOutput);
    }
    return new ExecCommand(
        argv,
        stdin == null ? null : stdin.getBytes(StandardCharsets.UTF_8),
        timeoutMs == null ? ExecRequest.DEFAULT_TIMEOUT : Duration.ofMillis(timeoutMs),
        env,
        maxOutput == null ? ExecRequest.DEFAULT_MAX_OUTPUT_BYTES : maxOutput);
  }

  /**
   * The request to run. With stdin, the input has been staged in the workspace as {@code
   * stdinFile}: a shell opens it as stdin, deletes it, then execs the command, so the command never
   * sees the file.
   */
  ExecRequest toRequest(String stdinFile) {
    List<String> run = argv;
    if (stdinFile != null) {
      run = new ArrayList<>();
      run.add("/bin/sh");
      run.add("-c");
      run.add("exec <\"$0\" && rm -f -- \"$0\" && exec \"$@\"");
      run.add(stdinFile);
      run.addAll(argv);
    }
    return new ExecRequest(run, env, timeout, maxOutputBytes);
  }
}
