package dev.agentfactory.edge.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's metrics, scraped by Prometheus at {@code GET /metrics}. Names follow Prometheus
 * conventions ({@code af_} prefix, {@code _total} counters, {@code _seconds} timers with histogram
 * buckets so p50/p99 can be computed across nodes).
 */
public final class EdgeMetrics implements AutoCloseable {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicInteger activeSessions = new AtomicInteger();
  // Micrometer holds the object behind a function counter weakly: a method reference that only
  // the registry saw would be collected, and the counter would read NaN from then on
  private final List<Supplier<Number>> counted = new CopyOnWriteArrayList<>();
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Timer leaseLatency;
  private final Timer execDuration;

  public EdgeMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gc.bindTo(registry);
    Gauge.builder("af_sessions_active", activeSessions, AtomicInteger::get)
        .description(
            "Live sessions on this node: connected, or waiting for a resume after their"
                + " connection dropped")
        .register(registry);
    leaseLatency =
        Timer.builder("af_lease_latency_seconds")
            .description(
                "Time from a session asking for a sandbox (at its first command or tool call, or"
                    + " the next one after a sandbox_lost) to a leased, recorded one")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(100_000))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    execDuration =
        Timer.builder("af_tool_duration_seconds")
            .description("Wall time of commands run in sandboxes")
            .tag("tool", "sandbox.exec")
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
  }

  public void sessionOpened() {
    activeSessions.incrementAndGet();
    Counter.builder("af_sessions_opened_total")
        .description("Sessions opened on this node")
        .register(registry)
        .increment();
  }

  public void sessionClosed() {
    activeSessions.decrementAndGet();
  }

  public void frameReceived(String type) {
    Counter.builder("af_frames_received_total")
        .description("Client frames received, by type (invalid frames count as 'invalid')")
        .tag("type", type)
        .register(registry)
        .increment();
  }

  public void frameSent(String type) {
    Counter.builder("af_frames_sent_total")
        .description("Server frames sent, by type")
        .tag("type", type)
        .register(registry)
        .increment();
  }

  public void error(String code) {
    Counter.builder("af_errors_total")
        .description("Error frames sent to clients, by code")
        .tag("code", code)
        .register(registry)
        .increment();
  }

  public void leased(Duration latency) {
    leaseLatency.record(latency);
  }

  public void execFinished(String status, Duration duration) {
    execDuration.record(duration);
    Counter.builder("af_tool_calls_total")
        .description("Commands run in sandboxes, by how they ended")
        .tag("tool", "sandbox.exec")
        .tag("status", status)
        .register(registry)
        .increment();
  }

  /**
   * A cancel frame stopped an {@code exec} or {@code message} ({@code kind}) that was {@code
   * running} or still {@code queued} ({@code state}).
   */
  public void cancelled(String kind, String state) {
    Counter.builder("af_session_cancels_total")
        .description("Execs and messages stopped by a client's cancel frame, by kind and state")
        .tag("kind", kind)
        .tag("state", state)
        .register(registry)
        .increment();
  }

  /**
   * A cluster announcement that an API key was revoked: {@code sent} by this node (the revocation
   * went through it; {@code result} {@code failed} if the cluster did not take it, then the other
   * nodes refuse the key only at their next read of the key store) or {@code received} from another
   * node.
   */
  public void keyRevocationNotice(String direction, String result) {
    Counter.builder("af_key_revocation_notices_total")
        .description(
            "Announcements of revoked API keys on the cluster, sent by this node or received"
                + " from another, by result")
        .tag("direction", direction)
        .tag("result", result)
        .register(registry)
        .increment();
  }

  public void sandboxTransition(String to) {
    Counter.builder("af_sandbox_transitions_total")
        .description("Idle-session sandbox transitions (paused, hibernated, running again)")
        .tag("to", to)
        .register(registry)
        .increment();
  }

  /**
   * A session learnt that a sandbox it leased ended: {@code lost} if it still held it (it ended
   * under the session, which reports {@code sandbox_lost}), not if the session had given it back or
   * dropped it already (its end, a release, an earlier loss).
   */
  public void sessionSandboxEnded(boolean lost) {
    Counter.builder("af_session_sandbox_ends_total")
        .description("Ends of sandboxes leased by sessions, by whether the session still held it")
        .tag("lost", Boolean.toString(lost))
        .register(registry)
        .increment();
  }

  public void eventPublished(boolean ok) {
    Counter.builder("af_events_published_total")
        .description("Interaction events sent to Kafka, by result")
        .tag("result", ok ? "ok" : "failed")
        .register(registry)
        .increment();
  }

  /** Registers a gauge read at scrape time, e.g. warm sandboxes per template. */
  public void gauge(
      String name, String description, String tagKey, String tagValue, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).tag(tagKey, tagValue).register(registry);
  }

  /**
   * Registers a counter read at scrape time from a monotonic count ({@code _total} is added). This
   * registry keeps {@code count} for as long as it lives.
   */
  public void counter(
      String name, String description, String tagKey, String tagValue, Supplier<Number> count) {
    counted.add(count);
    FunctionCounter.builder(name, count, c -> c.get().doubleValue())
        .description(description)
        .tag(tagKey, tagValue)
        .register(registry);
  }

  /**
   * Registers a counter read at scrape time from {@code f} of {@code obj}, with several tags
   * ({@code _total} is added); {@link #remove(Meter)} takes it away again. As every Micrometer
   * function meter it holds {@code obj} weakly: the caller keeps it.
   */
  public <T> Meter counter(
      String name, String description, Map<String, String> tags, T obj, ToDoubleFunction<T> f) {
    FunctionCounter.Builder<T> counter =
        FunctionCounter.builder(name, obj, f).description(description);
    tags.forEach(counter::tag);
    return counter.register(registry);
  }

  /** Removes a meter: its series are no longer scraped. */
  public void remove(Meter meter) {
    registry.remove(meter);
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
