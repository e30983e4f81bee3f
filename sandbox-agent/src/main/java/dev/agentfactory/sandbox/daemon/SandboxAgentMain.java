package dev.agentfactory.sandbox.daemon;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./agent-factory sandbox-agent [--port 8090] [--host 127.0.0.1] [--dir DIR] [--pool-size 2]
 * [--isolation namespace] [--token T] [--templates DIR]}: the sandbox runtime on its own, behind
 * the HTTP + WebSocket API of {@code docs/sandbox-agent-api.md}. Ctrl-C (SIGTERM) ends every lease
 * and removes every sandbox before the process exits.
 */
public final class SandboxAgentMain {

  private SandboxAgentMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "dev/agentfactory/sandbox/daemon/log4j2.xml");
    }
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println("Usage: ./agent-factory sandbox-agent [OPTIONS]");
      new TreeMap<>(DaemonConfig.OPTIONS)
          .forEach((k, v) -> System.out.printf("  %-20s %s%n", k + " VALUE", v));
      return;
    }
    DaemonConfig config;
    try {
      config = DaemonConfig.parse(args, Map.copyOf(System.getenv()));
    } catch (IllegalArgumentException e) {
      System.err.println("sandbox-agent: " + e.getMessage());
      System.exit(2);
      return;
    }
    SandboxAgent agent;
    try {
      agent = SandboxAgent.start(config);
    } catch (RuntimeException e) {
      System.err.println("sandbox-agent: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  stopped.countDown();
                },
                "sandbox-agent-shutdown"));
    System.err.println("sandbox-agent: listening on " + config.host() + ":" + agent.port());
    stopped.await();
  }
}
