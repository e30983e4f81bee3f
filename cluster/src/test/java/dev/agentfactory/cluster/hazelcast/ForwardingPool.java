package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxPool;
import java.util.concurrent.CompletionStage;

/** A local pool that passes every call on to {@code local}: tests override what is to misbehave. */
abstract class ForwardingPool implements SandboxPool {

  private final SandboxPool local;

  ForwardingPool(SandboxPool local) {
    this.local = local;
  }

  @Override
  public CompletionStage<Sandbox> lease(String template) {
    return local.lease(template);
  }

  @Override
  public CompletionStage<Sandbox> lease(String template, LeaseOptions options) {
    return local.lease(template, options);
  }

  @Override
  public void retarget(String template, int target) {
    local.retarget(template, target);
  }

  @Override
  public PoolStats stats() {
    return local.stats();
  }

  @Override
  public void close() {
    local.close();
  }
}
