package dev.agentfactory.jobs.pii;

import java.util.Locale;
import java.util.Random;

/**
 * The vocabulary of {@link TraceText}: technical nouns, verbs and adjectives, and the identifiers,
 * paths, numbers and phrases made of them (lower case, upper case, CamelCase, snake_case,
 * kebab-case). Deliberately free of person, place, organisation and product names, so that texts
 * made of it can be labelled as having none.
 */
final class TraceWords {

  static final String[] NOUNS =
      split(
          """
          cache session request response token buffer queue worker scheduler config handler client
          server pool connection index record event stream batch job task node cluster shard
          partition offset payload schema metric counter registry router filter mapper parser
          encoder validator builder factory adapter provider listener watcher loader writer reader
          store order invoice payment billing inventory product catalog search auth login upload
          download report export sync retry timeout lease lock snapshot checkpoint migration plugin
          module bundle asset image container volume secret policy role permission tenant project
          workspace pipeline build deploy release artifact manifest template widget layout theme
          route endpoint gateway proxy socket channel message topic subscription notification audit
          health status feature flag account user cart checkout ledger quota limit window frame
          thread process file directory table column row query result value key entry item list map
          tree graph vertex edge input output state context scope version header body field type
          format
          """);

  static final String[] VERBS =
      split(
          """
          get set load save parse handle process resolve fetch update create delete build init
          validate compute render flush commit apply register dispatch emit read write close open
          start stop run execute schedule merge split encode decode convert refresh check find
          remove add put send receive poll drain reset clear sort
          """);

  private static final String[] PAST =
      split(
          """
          Loaded Processed Fetched Flushed Indexed Synced Sent Wrote Read Deleted Updated Created
          Resolved Parsed Skipped Scheduled Merged
          """);

  static final String[] ADJECTIVES =
      split(
          """
          default remote local async cached pending active internal primary secondary legacy base
          abstract simple lazy raw max min shared static dynamic global partial empty invalid
          missing stale dirty
          """);

  static final String[] ROLES =
      split(
          """
          Service Controller Handler Manager Factory Repository Client Provider Listener Config Util
          Impl Builder Mapper Filter Resolver Worker Scheduler Registry Adapter Store Cache Job Task
          Module Exception
          """);

  static final String[] SYSTEM_USERS =
      split(
          """
          root app www-data nobody daemon build runner svc ci deploy
          """);

  static final String[] LEVELS =
      split(
          """
          INFO INFO INFO WARN ERROR DEBUG TRACE
          """);

  static final String[] STATES =
      split(
          """
          ACTIVE PENDING RUNNING FAILED DONE READY OK SKIPPED DISABLED queued running failed
          succeeded healthy unknown true false null
          """);

  static final String[] PYTHON_ERRORS =
      split(
          """
          ValueError KeyError TypeError AttributeError RuntimeError ImportError ModuleNotFoundError
          AssertionError FileNotFoundError ConnectionError IndexError PermissionError TimeoutError
          NotImplementedError ZeroDivisionError
          """);

  private static final String[] MONTHS =
      split(
          """
          Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec
          """);

  private static final String[] EXTENSIONS =
      split(
          """
          java py js ts go rs c h json yaml yml xml md txt log sh toml properties sql csv lock gz
          tar jar class html
          """);

  private static final String[] TOOLS =
      split(
          """
          java python3 node bash sh make git curl grep tar ssh sleep cat tail sed awk find npm pip
          cargo go gcc kubectl rsync
          """);

  private static final String[] HEADERS =
      split(
          """
          Content-Type Content-Length Cache-Control Accept Accept-Encoding Connection
          Transfer-Encoding Vary ETag Last-Modified X-Request-Id X-Frame-Options Strict-Transport-Security
          Retry-After Authorization User-Agent Location
          """);

  private final Random random;

  private static String[] split(String words) {
    return words.strip().split("\\s+");
  }

  TraceWords(Random random) {
    this.random = random;
  }

  String pick(String... options) {
    return options[random.nextInt(options.length)];
  }

  String word() {
    return pick(NOUNS);
  }

  private static String capital(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  String className() {
    StringBuilder b = new StringBuilder();
    if (random.nextInt(3) == 0) {
      b.append(capital(pick(ADJECTIVES)));
    }
    b.append(capital(word()));
    if (random.nextBoolean()) {
      b.append(capital(word()));
    }
    return b.append(pick(ROLES)).toString();
  }

  String exception() {
    return capital(random.nextBoolean() ? pick(ADJECTIVES) : word())
        + pick("State", "Argument", "Config", "Timeout", "Access", "Format", "Io", "Parse")
        + "Exception";
  }

  String method() {
    return pick(VERBS) + capital(word()) + (random.nextBoolean() ? "" : capital(word()));
  }

  String camel() {
    return random.nextBoolean() ? method() : word() + capital(word());
  }

  String snake() {
    return random.nextBoolean() ? word() + "_" + word() : pick(VERBS) + "_" + word();
  }

  String kebab() {
    return word() + "-" + word() + (random.nextBoolean() ? "" : "-" + random.nextInt(10));
  }

  String key() {
    return switch (random.nextInt(4)) {
      case 0 -> snake();
      case 1 -> word() + capital(word());
      case 2 -> word();
      default -> word() + "." + word();
    };
  }

  String columnName() {
    return switch (random.nextInt(4)) {
      case 0 -> capital(word());
      case 1 -> word().toUpperCase(Locale.ROOT);
      case 2 -> capital(word()) + capital(word());
      default -> snake();
    };
  }

  String javaPackage() {
    return pick("com.example", "org.example", "io.app", "net.app", "dev.local")
        + "."
        + word()
        + (random.nextBoolean() ? "" : "." + pick(ADJECTIVES));
  }

  String qualifiedClass() {
    return random.nextBoolean() ? javaPackage() + "." + className() : className();
  }

  String module() {
    return word() + (random.nextBoolean() ? "" : "." + word());
  }

  String artifact() {
    return random.nextBoolean() ? word() + "-" + word() : word();
  }

  String version() {
    return random.nextInt(5) + "." + random.nextInt(20) + "." + random.nextInt(30);
  }

  String branch() {
    return pick("main", "develop", "feature/" + kebab(), "fix/" + kebab(), "release/" + version());
  }

  String hex(int length) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      b.append(Character.forDigit(random.nextInt(16), 16));
    }
    return b.toString();
  }

  String month() {
    return pick(MONTHS);
  }

  String size() {
    return random.nextInt(999) + pick("K", "M", "G", "", ".0G", "B");
  }

  String path() {
    StringBuilder b =
        new StringBuilder(pick("/var", "/opt", "/usr/lib", "/srv", "/tmp", "/etc", ""));
    for (int i = 1 + random.nextInt(3); i > 0; i--) {
      b.append('/').append(random.nextInt(4) == 0 ? kebab() : word());
    }
    return b.toString();
  }

  String fileName() {
    return switch (random.nextInt(6)) {
      case 0 -> className() + ".java";
      case 1 -> pick("Makefile", "Dockerfile", "README.md", "LICENSE", "pom.xml", "go.mod");
      case 2 -> kebab() + "." + pick(EXTENSIONS);
      default -> snake() + "." + pick(EXTENSIONS);
    };
  }

  String command() {
    return pick(TOOLS)
        + " "
        + pick("-v", "-jar", "-rf", "--config", "-c", "run", "install", "-p", "-n", "--all")
        + " "
        + (random.nextBoolean() ? path() : fileName());
  }

  String timestamp() {
    return String.format(
        Locale.ROOT,
        "2%03d-%02d-%02d%s%02d:%02d:%02d.%03d",
        random.nextInt(30),
        1 + random.nextInt(12),
        1 + random.nextInt(28),
        random.nextBoolean() ? " " : "T",
        random.nextInt(24),
        random.nextInt(60),
        random.nextInt(60),
        random.nextInt(1000));
  }

  String title() {
    return capital(pick(VERBS)) + " the " + word() + " " + word();
  }

  /** A short technical sentence, as in log messages and commit subjects. */
  String message() {
    return switch (random.nextInt(10)) {
      case 0 ->
          capital(pick(VERBS))
              + "ed "
              + random.nextInt(500)
              + " "
              + word()
              + "s in "
              + random.nextInt(900)
              + " ms";
      case 1 -> "Failed to " + pick(VERBS) + " " + word() + " " + quoted();
      case 2 -> capital(word()) + " " + word() + " not found: " + quoted();
      case 3 -> "Starting " + className() + " on port " + (1024 + random.nextInt(60000));
      case 4 -> capital(pick(ADJECTIVES)) + " " + word() + " for " + key() + "=" + scalar();
      case 5 ->
          "Connection to "
              + pick("localhost", "127.0.0.1", "0.0.0.0")
              + ":"
              + (1024 + random.nextInt(60000))
              + " refused";
      case 6 -> capital(word()) + " " + pick(STATES) + " after " + random.nextInt(10) + " retries";
      case 7 -> "Unexpected " + word() + " in " + className() + "." + method() + "()";
      case 8 -> "Using " + word() + " " + path();
      default ->
          capital(word())
              + " "
              + word()
              + " "
              + pick("started", "stopped", "completed", "skipped", "expired", "rejected", "closed");
    };
  }

  private String quoted() {
    return pick("'", "\"", "`", "") + (random.nextBoolean() ? kebab() : path());
  }

  String commitSubject() {
    return pick(
            "Fix",
            "Add",
            "Remove",
            "Update",
            "Refactor",
            "Bump",
            "Move",
            "Rename",
            "Revert",
            "Use",
            "Drop",
            "Support")
        + " "
        + pick(
            word() + " " + word(),
            className(),
            method() + "()",
            snake(),
            artifact() + " to " + version())
        + pick(
            "",
            "",
            " in " + className(),
            " for " + word() + "s",
            " (#" + random.nextInt(900) + ")");
  }

  String sentence() {
    return pick(
        "Run `" + command() + "` to " + pick(VERBS) + " the " + word() + ".",
        capital(pick(VERBS)) + " the " + word() + " with `" + key() + "`.",
        "The "
            + className()
            + " "
            + pick(VERBS)
            + "s each "
            + word()
            + " before the "
            + word()
            + ".",
        "See " + fileName() + " for the " + word() + " " + word() + ".",
        capital(word()) + " " + word() + ": " + scalar());
  }

  String scalar() {
    return switch (random.nextInt(8)) {
      case 0 -> String.valueOf(random.nextInt(100_000));
      case 1 -> String.format(Locale.ROOT, "%.2f", random.nextDouble() * 1000);
      case 2 -> pick(STATES);
      case 3 -> kebab();
      case 4 -> path();
      case 5 -> hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12);
      case 6 -> word() + ":" + version();
      default -> random.nextBoolean() ? word() : className();
    };
  }

  String jsonValue() {
    return switch (random.nextInt(6)) {
      case 0 -> String.valueOf(random.nextInt(100_000));
      case 1 -> pick("true", "false", "null");
      case 2 -> "[" + random.nextInt(9) + ", " + random.nextInt(99) + "]";
      case 3 -> "{\"" + key() + "\": \"" + pick(STATES) + "\"}";
      default -> "\"" + scalar() + "\"";
    };
  }

  String header() {
    String name = pick(HEADERS);
    return name
        + ": "
        + switch (name) {
          case "Content-Type", "Accept" ->
              pick("application/json", "text/html; charset=utf-8", "text/plain", "*/*");
          case "Content-Length", "Retry-After" -> String.valueOf(random.nextInt(90_000));
          case "Cache-Control" -> pick("no-cache", "no-store", "max-age=3600", "private");
          case "Authorization" -> "Bearer " + hex(24);
          case "Location" -> "/api/v1/" + kebab();
          case "User-Agent" -> pick(TOOLS) + "/" + version();
          default ->
              random.nextBoolean()
                  ? hex(16)
                  : pick("keep-alive", "chunked", "DENY", "gzip", "close");
        };
  }

  String codeLine() {
    String var = word();
    return switch (random.nextInt(8)) {
      case 0 -> "private final " + className() + " " + var + ";";
      case 1 -> "return " + var + "." + method() + "(" + word() + ");";
      case 2 -> "if (" + var + " == null) {";
      case 3 -> "throw new " + exception() + "(\"" + message() + "\");";
      case 4 -> "log.info(\"" + message() + "\");";
      case 5 -> "for (" + className() + " " + var + " : " + word() + "s) {";
      case 6 -> "public " + className() + " " + method() + "(" + className() + " " + var + ") {";
      default -> "// " + pick("TODO", "FIXME", "NOTE") + ": " + message();
    };
  }

  String pythonLine() {
    String var = snake();
    return switch (random.nextInt(6)) {
      case 0 -> var + " = self." + snake() + "(" + word() + ")";
      case 1 -> "return " + var + "[\"" + key() + "\"]";
      case 2 -> "raise " + pick(PYTHON_ERRORS) + "(f\"" + message() + "\")";
      case 3 -> "for " + word() + " in " + var + ":";
      case 4 -> "logger.info(\"" + message() + "\")";
      default -> "if not " + var + ":";
    };
  }
}
