package dev.agentfactory.jobs.pii;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The code, data and protocol texts of {@link TraceText}: diffs, code, JSON, YAML, CSV, SQL, HTTP.
 */
final class TraceCode {

  private final Random random;
  private final TraceWords words;

  TraceCode(Random random, TraceWords words) {
    this.random = random;
    this.words = words;
  }

  String diff() {
    String file = words.path() + "/" + words.fileName();
    StringBuilder b =
        new StringBuilder("diff --git a")
            .append(file)
            .append(" b")
            .append(file)
            .append("\nindex ")
            .append(words.hex(7))
            .append("..")
            .append(words.hex(7))
            .append(" 100644\n--- a")
            .append(file)
            .append("\n+++ b")
            .append(file)
            .append(String.format(Locale.ROOT, "\n@@ -%d,7 +%<d,8 @@\n", 1 + random.nextInt(300)));
    for (int i = TraceText.lines(random); i > 0; i--) {
      b.append(words.pick(" ", "+", "-", " ")).append(words.codeLine()).append('\n');
    }
    return b.toString();
  }

  String javaCode() {
    String cls = words.className();
    StringBuilder b =
        new StringBuilder("package ")
            .append(words.javaPackage())
            .append(";\n\nimport ")
            .append(words.javaPackage())
            .append('.')
            .append(words.className())
            .append(";\n\n")
            .append(words.pick("public final class ", "class ", "public interface ", "record "))
            .append(cls)
            .append(" {\n");
    for (int i = TraceText.lines(random); i > 0; i--) {
      b.append("  ").append(words.codeLine()).append('\n');
    }
    return b.append("}\n").toString();
  }

  String scriptCode() {
    StringBuilder b = new StringBuilder();
    String lang = words.pick("python", "go", "js");
    String fn = lang.equals("python") ? words.snake() : words.camel();
    b.append(
            switch (lang) {
              case "python" -> "def " + fn + "(self, " + words.snake() + "):";
              case "go" -> "func " + fn + "(ctx context.Context) error {";
              default -> "export async function " + fn + "(" + words.camel() + ") {";
            })
        .append('\n');
    for (int i = TraceText.lines(random); i > 0; i--) {
      b.append("    ").append(lang.equals("python") ? words.pythonLine() : words.codeLine());
      b.append('\n');
    }
    return b.append(lang.equals("python") ? "" : "}\n").toString();
  }

  String json() {
    StringBuilder b = new StringBuilder("{\n");
    for (int i = TraceText.lines(random); i > 0; i--) {
      b.append("  \"").append(words.key()).append("\": ").append(words.jsonValue());
      b.append(i > 1 ? ",\n" : "\n");
    }
    return b.append("}").toString();
  }

  String yaml() {
    StringBuilder b =
        new StringBuilder("apiVersion: ")
            .append(words.pick("v1", "apps/v1", "batch/v1"))
            .append("\nkind: ")
            .append(words.pick("Deployment", "Service", "ConfigMap", "Job", "StatefulSet"))
            .append("\nmetadata:\n  name: ")
            .append(words.kebab())
            .append("\nspec:\n");
    for (int i = TraceText.lines(random); i > 0; i--) {
      b.append("  ").append(words.key()).append(": ").append(words.scalar()).append('\n');
    }
    return b.toString();
  }

  String csv() {
    int columns = 3 + random.nextInt(4);
    List<String> header = new ArrayList<>();
    for (int c = 0; c < columns; c++) {
      header.add(words.columnName());
    }
    StringBuilder b = new StringBuilder(String.join(",", header)).append('\n');
    for (int i = TraceText.lines(random); i > 0; i--) {
      List<String> row = new ArrayList<>();
      for (int c = 0; c < columns; c++) {
        row.add(words.scalar());
      }
      b.append(String.join(",", row)).append('\n');
    }
    return b.toString();
  }

  String sql() {
    String table = words.snake();
    String col = words.snake();
    StringBuilder b =
        new StringBuilder(
            words.pick(
                "SELECT "
                    + col
                    + ", COUNT(*) AS total FROM "
                    + table
                    + " GROUP BY "
                    + col
                    + " ORDER BY total DESC LIMIT "
                    + (1 + random.nextInt(50))
                    + ";",
                "UPDATE "
                    + table
                    + " SET "
                    + col
                    + " = '"
                    + words.pick(TraceWords.STATES)
                    + "' WHERE id = "
                    + random.nextInt(90_000)
                    + ";",
                "CREATE TABLE "
                    + table
                    + " (id BIGINT PRIMARY KEY, "
                    + col
                    + " VARCHAR(255) NOT NULL, created_at TIMESTAMP);",
                "INSERT INTO "
                    + table
                    + " ("
                    + col
                    + ", status) VALUES ('"
                    + words.kebab()
                    + "', '"
                    + words.pick(TraceWords.STATES)
                    + "');"));
    if (random.nextBoolean()) {
      b.append('\n').append(col).append(" | total\n").append("----+------\n");
      for (int i = TraceText.lines(random); i > 0; i--) {
        b.append(words.scalar()).append(" | ").append(random.nextInt(5000)).append('\n');
      }
      b.append('(').append(random.nextInt(10)).append(" rows)");
    }
    return b.toString();
  }

  String http() {
    StringBuilder b = new StringBuilder();
    if (random.nextBoolean()) {
      b.append(words.pick("GET", "POST", "PUT", "DELETE", "PATCH"))
          .append(" /api/v")
          .append(1 + random.nextInt(3))
          .append('/')
          .append(words.kebab())
          .append(" HTTP/1.1\n");
    } else {
      b.append("HTTP/1.1 ")
          .append(
              words.pick(
                  "200 OK",
                  "201 Created",
                  "204 No Content",
                  "400 Bad Request",
                  "404 Not Found",
                  "500 Internal Server Error",
                  "503 Service Unavailable"))
          .append('\n');
    }
    for (int i = TraceText.lines(random); i > 0; i--) {
      b.append(words.header()).append('\n');
    }
    return b.toString();
  }

  String config() {
    StringBuilder b = new StringBuilder();
    boolean env = random.nextBoolean();
    for (int i = TraceText.lines(random); i > 0; i--) {
      if (env) {
        b.append(words.snake().toUpperCase(Locale.ROOT)).append('=').append(words.scalar());
      } else {
        b.append(words.word()).append('.').append(words.key()).append(" = ").append(words.scalar());
      }
      b.append('\n');
    }
    return b.toString();
  }

  String markdown() {
    StringBuilder b = new StringBuilder("## ").append(words.title()).append("\n\n");
    for (int i = 1 + random.nextInt(4); i > 0; i--) {
      b.append(words.pick("- ", "* ", "1. ", "")).append(words.sentence()).append('\n');
    }
    if (random.nextBoolean()) {
      b.append("\n```\n").append(words.command()).append("\n```\n");
    }
    return b.toString();
  }
}
