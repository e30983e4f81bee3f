package dev.agentfactory.clusterit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Concurrent session load: each virtual client opens a session on the next target node, runs a
 * command, closes, and starts over, until stopped. Every attempt's outcome and every lease the
 * nodes granted ({@code sandbox.leased}) are kept for the assertions.
 */
final class SessionLoad implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Duration PAUSE = Duration.ofMillis(250);

  private final Supplier<List<NodeContainer>> targets;
  private final String key;
  private final LeaseLedger ledger;
  private final ConcurrentLinkedQueue<SessionOutcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger next = new AtomicInteger();
  private final List<Thread> clients = new ArrayList<>();

  SessionLoad(
      int concurrency, Supplier<List<NodeContainer>> targets, String key, LeaseLedger ledger) {
    this.targets = targets;
    this.key = key;
    this.ledger = ledger;
    for (int i = 0; i < concurrency; i++) {
      Thread t = new Thread(this::run, "session-load-" + i);
      t.setDaemon(true);
      clients.add(t);
      t.start();
    }
  }

  private void run() {
    while (running.get()) {
      List<NodeContainer> nodes = targets.get();
      if (nodes.isEmpty()) {
        return;
      }
      NodeContainer node = nodes.get(Math.floorMod(next.getAndIncrement(), nodes.size()));
      outcomes.add(oneSession(node));
      try {
        // steady, not flat out: the nodes share two cores with the test and with starting nodes
        Thread.sleep(PAUSE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private SessionOutcome oneSession(NodeContainer node) {
    SessionClient client;
    try {
      client = SessionClient.open(node, key, TIMEOUT);
    } catch (SessionClient.Ended ended) {
      return ended.outcome;
    }
    try {
      // the node leases on the first command (sandbox.leased comes before its output)
      SessionOutcome failed = client.exec(TIMEOUT);
      ledger.granted(client.ready());
      if (failed != null) {
        return failed;
      }
      return client.closeNormally();
    } finally {
      ledger.released(client.ready());
      client.close();
    }
  }

  /** Outcomes so far. */
  List<SessionOutcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /** Stops the load and returns every outcome. */
  List<SessionOutcome> outcomesAfterClose() {
    close();
    return outcomes();
  }

  long served(String node) {
    return outcomes.stream()
        .filter(o -> o.node().equals(node) && o.kind() == SessionOutcome.Kind.SERVED)
        .count();
  }

  /** Stops starting sessions and waits for the running ones to end. */
  @Override
  public void close() {
    running.set(false);
    for (Thread t : clients) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(TIMEOUT.toSeconds() * 3));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
