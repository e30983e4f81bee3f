package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxEventListener;
import dev.agentfactory.sandbox.SandboxState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records a pool's events, for assertions. */
final class EventRecorder implements SandboxEventListener {

  private final List<SandboxEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(SandboxEvent event) {
    events.add(event);
  }

  List<SandboxEvent> all() {
    return List.copyOf(events);
  }

  List<SandboxEvent> of(String sandboxId) {
    return events.stream().filter(e -> e.sandboxId().equals(sandboxId)).toList();
  }

  List<SandboxState> statesOf(String sandboxId) {
    return of(sandboxId).stream()
        .filter(e -> !e.isLimit() && !e.isEgress())
        .map(SandboxEvent::state)
        .toList();
  }

  /** Waits until {@code sandboxId} reported {@code reason}. */
  boolean awaitReason(String sandboxId, String reason) {
    return HostProcesses.eventually(
        Duration.ofSeconds(10),
        () -> of(sandboxId).stream().anyMatch(e -> e.reason().equals(reason)));
  }
}
