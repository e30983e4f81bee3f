package dev.agentfactory.bench.sessions;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test in its own JVM, started with this JVM's classpath and flags (as the launcher
 * starts a node), so its heap and file descriptors are its own and not the load generator's.
 */
final class ChildJvm implements AutoCloseable {

  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  private final String name;
  private final Process process;
  private final Path log;

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code mainClass} with this JVM's flags ({@code heap} replaces -Xmx if not null). */
  static ChildJvm start(String name, String heap, Path logDir, String mainClass, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (heap != null && (flag.startsWith("-Xmx") || flag.startsWith("-Xms"))) {
        continue;
      }
      command.add(flag);
    }
    if (heap != null) {
      command.add("-Xmx" + heap);
      command.add("-Xms" + heap);
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    Path log = logDir.resolve(name + ".log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new ChildJvm(name, process, log);
  }

  long pid() {
    return process.pid();
  }

  /** Polls {@code url} until it answers 200. */
  void awaitReady(String url, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited with " + process.exitValue() + "; its log: " + log + "\n" + tail());
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(250); // the bench's own thread, waiting for a child process
    }
    throw new IllegalStateException(name + " not ready after " + timeout + "; log: " + log);
  }

  /** Heap in use right after a full GC of the child, in bytes (from jcmd). */
  long heapUsedAfterGc() throws Exception {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    if (!m.find()) {
      throw new IllegalStateException("no heap figure in jcmd output:\n" + info);
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  /** Resident set size of the child, in bytes. */
  long rss() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private String jcmd(String command) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("jcmd " + command + " failed: " + out);
    }
    return out;
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGTERM (a node shuts down cleanly on it), then a kill after the grace period. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      System.err.println("sessions: " + name + " did not stop in 90 s; killing it");
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
