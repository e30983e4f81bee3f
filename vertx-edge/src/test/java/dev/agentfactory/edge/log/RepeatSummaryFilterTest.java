package dev.agentfactory.edge.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.edge.health.CapturedLog;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Filter.Result;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Repeats of a line are held back and counted; the node's log4j2.xml applies this to Kafka. */
class RepeatSummaryFilterTest {

  private static final String NETWORK_CLIENT = "org.apache.kafka.clients.NetworkClient";
  private static final String UNREACHABLE =
      "[Producer clientId={}] Connection to node {} ({}) could not be established. Node may not be"
          + " available.";

  private final AtomicLong now = new AtomicLong();
  private final RepeatSummaryFilter filter = new RepeatSummaryFilter(60, now::get);

  @Test
  void theFirstLineOfAKindPassesAndItsRepeatsWithinTheIntervalAreHeldBack() {
    String client = client();
    assertThat(filter.filter(unreachable(client, -1, 9092))).isEqualTo(Result.NEUTRAL);
    for (int i = 0; i < 30; i++) {
      advanceSeconds(1);
      // another node id and port: digits do not make another kind
      assertThat(filter.filter(unreachable(client, -1 - i % 3, 9092 + i))).isEqualTo(Result.DENY);
    }
  }

  @Test
  void theNodeJarsPluginCacheListsTheFilterSoLog4jFindsIt() throws Exception {
    // written by log4j-core's annotation processor at compile time (the build's <proc>full</proc>)
    try (var cache =
        RepeatSummaryFilter.class.getResourceAsStream(
            "/META-INF/org/apache/logging/log4j/core/config/plugins/Log4j2Plugins.dat")) {
      assertThat(cache).as("the compiled plugin cache").isNotNull();
      assertThat(new String(cache.readAllBytes(), StandardCharsets.ISO_8859_1))
          .contains(RepeatSummaryFilter.class.getName());
    }
  }

  @Test
  void kafkasDefaultClientIdsThatDifferOnlyByANumberAreKindsOfTheirOwn() {
    assertThat(filter.filter(unreachable("producer-1", -1, 9092))).isEqualTo(Result.NEUTRAL);
    assertThat(filter.filter(unreachable("producer-2", -1, 9092)))
        .as("another client: its outage shows too")
        .isEqualTo(Result.NEUTRAL);
    advanceSeconds(1);
    assertThat(filter.filter(unreachable("producer-1", -2, 9093))).isEqualTo(Result.DENY);
    assertThat(filter.filter(unreachable("producer-2", -2, 9093))).isEqualTo(Result.DENY);
  }

  @Test
  void theFirstRepeatAfterTheIntervalIsWrittenAsOneLineSayingHowManyThereWere() {
    String client = client();
    try (CapturedLog log = CapturedLog.atRoot()) {
      filter.filter(unreachable(client, -1, 9092));
      for (int i = 0; i < 59; i++) {
        advanceSeconds(1);
        filter.filter(unreachable(client, -1, 9092));
      }
      advanceSeconds(1);
      assertThat(filter.filter(unreachable(client, -2, 9093))).isEqualTo(Result.DENY);

      assertThat(log.messages(NETWORK_CLIENT, Level.WARN, client))
          .containsExactly(
              "[Producer clientId="
                  + client
                  + "] Connection to node -2 (localhost/127.0.0.1:9093) could not be"
                  + " established. Node may not be available. (repeated 60 times in the last 60 s)");

      // the next interval starts there
      advanceSeconds(1);
      assertThat(filter.filter(unreachable(client, -1, 9092))).isEqualTo(Result.DENY);
    }
  }

  @Test
  void aKindThatStoppedRepeatingPassesAsItIsWhenItComesBack() {
    String client = client();
    filter.filter(unreachable(client, -1, 9092));
    advanceSeconds(600);
    assertThat(filter.filter(unreachable(client, -1, 9092))).isEqualTo(Result.NEUTRAL);
  }

  @Test
  void otherClientsOtherLoggersAndErrorsAreNotHeldBack() {
    String client = client();
    filter.filter(unreachable(client, -1, 9092));
    assertThat(filter.filter(unreachable(client(), -1, 9092))).isEqualTo(Result.NEUTRAL);
    assertThat(filter.filter(event("org.apache.kafka.clients.Other", Level.WARN, client)))
        .isEqualTo(Result.NEUTRAL);
    for (int i = 0; i < 3; i++) {
      assertThat(filter.filter(event(NETWORK_CLIENT, Level.ERROR, "fatal " + client)))
          .isEqualTo(Result.NEUTRAL);
    }
  }

  @Test
  void anIntervalOfZeroLetsEveryLinePass() {
    RepeatSummaryFilter all = new RepeatSummaryFilter(0, now::get);
    String client = client();
    for (int i = 0; i < 5; i++) {
      assertThat(all.filter(unreachable(client, -1, 9092))).isEqualTo(Result.NEUTRAL);
    }
  }

  @Test
  void theNodesLoggingWritesTheFirstKafkaClientWarningOfAKindAndHoldsBackItsRepeats() {
    String client = client();
    Logger kafka = LoggerFactory.getLogger(NETWORK_CLIENT);
    Logger publisher = LoggerFactory.getLogger("dev.agentfactory.connectors.kafka.Publisher");
    try (CapturedLog log = CapturedLog.atRoot()) {
      for (int i = 0; i < 100; i++) {
        kafka.warn(UNREACHABLE, client, -1, "localhost/127.0.0.1:" + (9092 + i % 2));
        kafka.warn("[Producer clientId={}] Bootstrap broker localhost:9092 disconnected", client);
        publisher.warn("{}: buffer {} % full", client, i);
      }

      assertThat(log.messages(NETWORK_CLIENT, Level.WARN, client))
          .as("one line of each kind")
          .hasSize(2);
      assertThat(log.messages(publisher.getName(), Level.WARN, client))
          .as("our own warnings, every one")
          .hasSize(100);
    }
  }

  private void advanceSeconds(long seconds) {
    now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
  }

  private static String client() {
    return "producer-" + UUID.randomUUID();
  }

  private static LogEvent unreachable(String client, int node, int port) {
    return Log4jLogEvent.newBuilder()
        .setLoggerName(NETWORK_CLIENT)
        .setLevel(Level.WARN)
        .setMessage(
            new ParameterizedMessage(UNREACHABLE, client, node, "localhost/127.0.0.1:" + port))
        .build();
  }

  private static LogEvent event(String logger, Level level, String text) {
    return Log4jLogEvent.newBuilder()
        .setLoggerName(logger)
        .setLevel(level)
        .setMessage(new ParameterizedMessage(text))
        .build();
  }
}
