package dev.agentfactory.sandbox;

/**
 * Receives {@link SandboxEvent}s of a pool. Called on pool and sandbox threads, possibly
 * concurrently for different sandboxes: keep it fast and non-blocking (hand off to a queue).
 */
@FunctionalInterface
public interface SandboxEventListener {

  void onEvent(SandboxEvent event);
}
