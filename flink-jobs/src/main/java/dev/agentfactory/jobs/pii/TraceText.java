package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * Synthetic tool output without personal data: directory listings, process and disk tables, log
 * lines, Java, Python and JavaScript stack traces, build and test output, git output, code, JSON,
 * YAML, CSV, SQL, HTTP headers, config files. The tagger learns from prose only; these texts, all
 * tokens tagged O, are its negative training samples ({@code -Dpii.train.traces}, off by default),
 * so that a capitalised word in a log line or a table header is not taken for a name.
 *
 * <p>Every word comes from the technical vocabulary of {@link TraceWords}: no person, place or
 * organisation names (the texts are labelled as having none), no user names or e-mail addresses.
 * Deterministic by seed.
 *
 * <pre>{@code
 * List<String> texts = TraceText.generate(500, 42L);
 * }</pre>
 */
final class TraceText {

  private final Random random;
  private final TraceWords words;
  private final TraceCode code;

  private TraceText(long seed) {
    this.random = new Random(seed);
    this.words = new TraceWords(random);
    this.code = new TraceCode(random, words);
  }

  /** {@code count} texts, the same for the same seed. */
  static List<String> generate(int count, long seed) {
    TraceText t = new TraceText(seed);
    List<Function<TraceText, String>> kinds =
        List.of(
            TraceText::listing,
            TraceText::processes,
            TraceText::disks,
            TraceText::logs,
            TraceText::javaTrace,
            TraceText::pythonTrace,
            TraceText::jsTrace,
            TraceText::build,
            TraceText::tests,
            TraceText::git,
            k -> k.code.diff(),
            k -> k.code.javaCode(),
            k -> k.code.scriptCode(),
            k -> k.code.json(),
            k -> k.code.yaml(),
            k -> k.code.csv(),
            k -> k.code.sql(),
            k -> k.code.http(),
            k -> k.code.config(),
            k -> k.code.markdown());
    List<String> texts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      texts.add(kinds.get(t.random.nextInt(kinds.size())).apply(t).stripTrailing());
    }
    return texts;
  }

  /** How many lines a text gets: 2 to 9. */
  static int lines(Random random) {
    return 2 + random.nextInt(8);
  }

  private int lines() {
    return lines(random);
  }

  private String listing() {
    StringBuilder b = new StringBuilder();
    if (random.nextBoolean()) {
      b.append("total ").append(random.nextInt(900)).append('\n');
    }
    for (int i = lines(); i > 0; i--) {
      boolean dir = random.nextInt(4) == 0;
      String owner = words.pick(TraceWords.SYSTEM_USERS);
      b.append(dir ? 'd' : '-')
          .append(words.pick("rwxr-xr-x", "rw-r--r--", "rw-------", "rwxrwxr-x", "rw-rw-r--"))
          .append(' ')
          .append(1 + random.nextInt(dir ? 12 : 2))
          .append(' ')
          .append(owner)
          .append(' ')
          .append(random.nextBoolean() ? owner : words.pick(TraceWords.SYSTEM_USERS))
          .append(String.format(Locale.ROOT, " %6d ", random.nextInt(200_000)))
          .append(words.month())
          .append(
              String.format(
                  Locale.ROOT,
                  " %2d %02d:%02d ",
                  1 + random.nextInt(28),
                  random.nextInt(24),
                  random.nextInt(60)))
          .append(dir ? words.word() : words.fileName())
          .append('\n');
    }
    return b.toString();
  }

  private String processes() {
    StringBuilder b =
        new StringBuilder(
            random.nextBoolean()
                ? "USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\n"
                : "  PID USER PR NI VIRT RES SHR S %CPU %MEM TIME+ COMMAND\n");
    for (int i = lines(); i > 0; i--) {
      b.append(
              String.format(
                  Locale.ROOT,
                  "%s %6d %4.1f %4.1f %7d %6d ? %s %02d:%02d %d:%02d ",
                  words.pick(TraceWords.SYSTEM_USERS),
                  1 + random.nextInt(60_000),
                  random.nextDouble() * 100,
                  random.nextDouble() * 20,
                  random.nextInt(9_000_000),
                  random.nextInt(900_000),
                  words.pick("Ss", "S", "R", "Sl", "I<", "D"),
                  random.nextInt(24),
                  random.nextInt(60),
                  random.nextInt(90),
                  random.nextInt(60)))
          .append(words.command())
          .append('\n');
    }
    return b.toString();
  }

  private String disks() {
    StringBuilder b = new StringBuilder("Filesystem Size Used Avail Use% Mounted on\n");
    for (int i = lines(); i > 0; i--) {
      int used = random.nextInt(101);
      b.append(words.pick("/dev/sda1", "/dev/nvme0n1p2", "tmpfs", "overlay", "/dev/vdb", "shm"))
          .append(' ')
          .append(words.size())
          .append(' ')
          .append(words.size())
          .append(' ')
          .append(words.size())
          .append(' ')
          .append(used)
          .append("% ")
          .append(words.path())
          .append('\n');
    }
    return b.toString();
  }

  private String logs() {
    StringBuilder b = new StringBuilder();
    String style = words.pick("java", "python", "plain", "json");
    for (int i = lines(); i > 0; i--) {
      String level = words.pick(TraceWords.LEVELS);
      String message = words.message();
      switch (style) {
        case "java" ->
            b.append(words.timestamp())
                .append(' ')
                .append(level)
                .append(" [")
                .append(words.pick("main", "worker-" + random.nextInt(16), "pool-1-thread-3"))
                .append("] ")
                .append(words.qualifiedClass())
                .append(" - ")
                .append(message);
        case "python" ->
            b.append(level).append(':').append(words.module()).append(':').append(message);
        case "json" ->
            b.append("{\"ts\":\"")
                .append(words.timestamp())
                .append("\",\"level\":\"")
                .append(level.toLowerCase(Locale.ROOT))
                .append("\",\"msg\":\"")
                .append(message)
                .append("\",\"")
                .append(words.key())
                .append("\":")
                .append(random.nextInt(5000))
                .append('}');
        default -> b.append('[').append(level).append("] ").append(message);
      }
      b.append('\n');
    }
    return b.toString();
  }

  private String javaTrace() {
    StringBuilder b = new StringBuilder();
    if (random.nextBoolean()) {
      b.append("Exception in thread \"main\" ");
    }
    b.append(words.javaPackage())
        .append('.')
        .append(words.exception())
        .append(": ")
        .append(words.message())
        .append('\n');
    for (int i = lines(); i > 0; i--) {
      String cls = words.className();
      b.append("\tat ")
          .append(words.javaPackage())
          .append('.')
          .append(cls)
          .append('.')
          .append(words.method())
          .append('(')
          .append(cls)
          .append(".java:")
          .append(1 + random.nextInt(900))
          .append(")\n");
    }
    if (random.nextInt(3) == 0) {
      b.append("Caused by: java.io.")
          .append(words.pick("IOException", "UncheckedIOException", "FileNotFoundException"))
          .append(": ")
          .append(words.path())
          .append("\n\t... ")
          .append(random.nextInt(40))
          .append(" more\n");
    }
    return b.toString();
  }

  private String pythonTrace() {
    StringBuilder b = new StringBuilder("Traceback (most recent call last):\n");
    for (int i = 1 + random.nextInt(4); i > 0; i--) {
      b.append("  File \"")
          .append(words.path())
          .append('/')
          .append(words.word())
          .append(".py\", line ")
          .append(1 + random.nextInt(700))
          .append(", in ")
          .append(words.snake())
          .append("\n    ")
          .append(words.pythonLine())
          .append('\n');
    }
    return b.append(words.pick(TraceWords.PYTHON_ERRORS))
        .append(": ")
        .append(words.message())
        .toString();
  }

  private String jsTrace() {
    StringBuilder b =
        new StringBuilder(words.pick("TypeError", "ReferenceError", "RangeError", "Error"))
            .append(": ")
            .append(
                random.nextBoolean()
                    ? "Cannot read properties of undefined (reading '" + words.camel() + "')"
                    : words.message())
            .append('\n');
    for (int i = lines(); i > 0; i--) {
      b.append("    at ")
          .append(random.nextBoolean() ? words.className() + "." + words.camel() : words.camel())
          .append(" (")
          .append(words.path())
          .append('/')
          .append(words.word())
          .append(".js:")
          .append(1 + random.nextInt(400))
          .append(':')
          .append(1 + random.nextInt(80))
          .append(")\n");
    }
    return b.toString();
  }

  private String build() {
    StringBuilder b = new StringBuilder();
    String tool = words.pick("maven", "gradle", "npm", "cargo", "make");
    for (int i = lines(); i > 0; i--) {
      switch (tool) {
        case "maven" ->
            b.append("[")
                .append(words.pick("INFO", "INFO", "WARNING", "ERROR"))
                .append("] ")
                .append(
                    words.pick(
                        "Building " + words.artifact() + " " + words.version(),
                        "--- " + words.artifact() + ":" + words.version() + ":compile ---",
                        "BUILD " + words.pick("SUCCESS", "FAILURE"),
                        "Total time: " + random.nextInt(90) + "." + random.nextInt(999) + " s",
                        "Tests run: "
                            + random.nextInt(300)
                            + ", Failures: "
                            + random.nextInt(3)
                            + ", Errors: 0, Skipped: "
                            + random.nextInt(5),
                        "Compiling " + random.nextInt(200) + " source files to " + words.path()));
        case "gradle" ->
            b.append(
                words.pick(
                    "> Task :" + words.artifact() + ":" + words.camel(),
                    "> Task :" + words.camel() + " UP-TO-DATE",
                    "BUILD SUCCESSFUL in " + random.nextInt(60) + "s",
                    random.nextInt(40) + " actionable tasks: " + random.nextInt(20) + " executed"));
        case "npm" ->
            b.append(
                words.pick(
                    "npm WARN deprecated "
                        + words.artifact()
                        + "@"
                        + words.version()
                        + ": "
                        + words.message(),
                    "added " + random.nextInt(900) + " packages in " + random.nextInt(30) + "s",
                    "> " + words.artifact() + "@" + words.version() + " build",
                    "found " + random.nextInt(9) + " vulnerabilities"));
        case "cargo" ->
            b.append(
                words.pick(
                    "   Compiling " + words.snake() + " v" + words.version(),
                    "    Finished dev [unoptimized + debuginfo] target(s) in "
                        + random.nextInt(90)
                        + ".0"
                        + random.nextInt(9)
                        + "s",
                    "warning: unused variable: `" + words.snake() + "`",
                    "     Running " + words.path()));
        default ->
            b.append(
                words.pick(
                    "make[" + random.nextInt(4) + "]: Entering directory '" + words.path() + "'",
                    "gcc -O2 -Wall -c " + words.snake() + ".c -o " + words.snake() + ".o",
                    "make: *** [Makefile:"
                        + random.nextInt(200)
                        + ": "
                        + words.word()
                        + "] Error "
                        + random.nextInt(3)));
      }
      b.append('\n');
    }
    return b.toString();
  }

  private String tests() {
    StringBuilder b = new StringBuilder();
    boolean py = random.nextBoolean();
    for (int i = lines(); i > 0; i--) {
      String status = words.pick("PASSED", "PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL");
      if (py) {
        b.append("tests/test_").append(words.snake()).append(".py::test_").append(words.snake());
        b.append(' ').append(status);
      } else {
        b.append(words.className()).append("Test > ").append(words.camel()).append("() ");
        b.append(status);
      }
      b.append('\n');
    }
    return b.append(
            String.format(
                Locale.ROOT,
                "===== %d passed, %d failed, %d skipped in %.2fs =====",
                random.nextInt(400),
                random.nextInt(4),
                random.nextInt(6),
                random.nextDouble() * 60))
        .toString();
  }

  private String git() {
    StringBuilder b = new StringBuilder();
    if (random.nextBoolean()) {
      b.append("On branch ").append(words.branch()).append('\n');
      b.append("Changes not staged for commit:\n");
      for (int i = lines(); i > 0; i--) {
        b.append('\t')
            .append(words.pick("modified:   ", "new file:   ", "deleted:    ", "renamed:    "))
            .append(words.path())
            .append('/')
            .append(words.fileName())
            .append('\n');
      }
      return b.toString();
    }
    for (int i = lines(); i > 0; i--) {
      b.append(words.hex(7)).append(' ').append(words.commitSubject()).append('\n');
    }
    return b.toString();
  }
}
