package dev.agentfactory.bench.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Realistic, distinct interactions: chat turns (user question + assistant answer, some with an
 * e-mail address or phone number for the scrubber to mask) and sandbox commands, spread over a few
 * tenants and agents. Every text is built from random words plus the event's sequence number, so
 * neither the exact nor the near-duplicate rule of the quality filter drops any of them.
 */
final class EventFactory {

  private static final String[] TENANTS = {"acme", "globex", "initech", "umbrella"};
  private static final String[] AGENTS = {"helper", "coder", "analyst", "support", "shell"};
  private static final String[] WORDS =
      ("report invoice deploy cluster metric latency budget schedule customer ticket refund"
              + " database index query migration backup restore rollout canary feature flag"
              + " dashboard alert incident review summary forecast quarter revenue churn signup"
              + " pipeline dataset parquet schema column partition checkpoint savepoint kafka topic"
              + " consumer producer offset retention compaction replica leader broker network"
              + " firewall certificate token secret vault policy audit compliance region zone"
              + " bucket object archive export import translate draft email meeting agenda notes"
              + " contract renewal pricing discount shipment warehouse inventory supplier order"
              + " payment gateway webhook retry timeout throttle quota limit cache eviction memory"
              + " thread lock deadlock profile flame graph heap garbage collector release version")
          .split(" ");
  private static final String[] COMMANDS = {"ls -la", "cat", "grep -n", "wc -l", "head -n 5"};

  private final Random random;
  private long seq;

  /** The tenants the events are spread over. */
  static List<String> tenants() {
    return List.of(TENANTS);
  }

  EventFactory(long seed) {
    this.random = new Random(seed);
  }

  Interaction next(String sessionPrefix) {
    long n = seq++;
    String tenant = TENANTS[(int) (n % TENANTS.length)];
    String agent = AGENTS[(int) ((n / TENANTS.length) % AGENTS.length)];
    String session = sessionPrefix + "-" + tenant + "-" + (n % 97);
    if (n % 10 < 3) {
      String command = COMMANDS[random.nextInt(COMMANDS.length)] + " file-" + n + ".txt";
      return Interaction.sandboxCommand(
          tenant,
          session,
          (int) (n % 50),
          agent,
          "1.0.0",
          command,
          words(6 + random.nextInt(10)) + " line " + n + "\n" + words(5) + "\n",
          random.nextInt(20) == 0 ? 1 : 0,
          Duration.ofMillis(1 + random.nextInt(200)));
    }
    String question = "Request " + n + ": please " + words(8 + random.nextInt(12)) + "?";
    if (n % 5 == 0) {
      question += " Reply to user" + n + "@example.com";
    } else if (n % 7 == 0) {
      question += " or call +1 415 555 " + String.format("%04d", n % 10_000);
    }
    String answer =
        "Done with item " + n + ": " + words(12 + random.nextInt(20)) + ". Next " + words(6) + ".";
    return Interaction.builder()
        .sessionId(session)
        .turn((int) (n % 50))
        .tenant(tenant)
        .agent(agent, "1.0.0")
        .message(Message.user(question))
        .message(Message.assistant(answer))
        .model("bench-model")
        .usage(20 + random.nextInt(200), 40 + random.nextInt(400))
        .latencyMs(50 + random.nextInt(2_000))
        .build();
  }

  private String words(int count) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(WORDS[random.nextInt(WORDS.length)]);
      if (random.nextInt(6) == 0) {
        sb.append(' ').append(random.nextInt(100_000));
      }
    }
    return sb.toString();
  }
}
