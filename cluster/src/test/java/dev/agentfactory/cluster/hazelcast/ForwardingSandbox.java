package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import java.util.concurrent.CompletionStage;

/**
 * A sandbox that passes its core calls on to {@code real}: tests override what is to misbehave.
 * Lifecycle and file calls keep the interface's defaults (unsupported).
 */
abstract class ForwardingSandbox implements Sandbox {

  private final Sandbox real;

  ForwardingSandbox(Sandbox real) {
    this.real = real;
  }

  @Override
  public String id() {
    return real.id();
  }

  @Override
  public String template() {
    return real.template();
  }

  @Override
  public CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
    return real.exec(request, listener);
  }

  @Override
  public boolean isAlive() {
    return real.isAlive();
  }

  @Override
  public void close() {
    real.close();
  }
}
