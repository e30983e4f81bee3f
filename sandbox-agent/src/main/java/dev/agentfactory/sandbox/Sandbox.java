package dev.agentfactory.sandbox;

import java.util.concurrent.CompletionStage;

/** One isolated, running sandbox held by a single lease. */
public interface Sandbox extends AutoCloseable {

  /** A node-unique id, stable for the life of the sandbox. */
  String id();

  /** The template this sandbox was started from. */
  String template();

  /**
   * Runs a command inside the sandbox, streaming its output to {@code listener} as it arrives.
   * Commands run one at a time; the stage completes when the command has ended (exited, timed out
   * or been killed).
   */
  CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener);

  /** Whether the sandbox is still running and usable. */
  boolean isAlive();

  /** Terminates the sandbox: no process, mount or workspace survives this call. */
  @Override
  void close();
}
