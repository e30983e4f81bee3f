package dev.agentfactory.edge.model;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where a secret lives, never the secret itself: {@code env:OPENAI_API_KEY} (an environment
 * variable) or {@code file:/run/secrets/openai} (a file, trailing whitespace trimmed). Specs and
 * logs carry only the reference; the value is resolved at call time and not kept.
 */
public record SecretRef(Kind kind, String name) {

  /** Where to look. */
  public enum Kind {
    ENV,
    FILE
  }

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  public SecretRef {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    if (kind == Kind.ENV && !ENV_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("env: needs a variable name, e.g. env:OPENAI_API_KEY");
    }
    if (kind == Kind.FILE && !name.startsWith("/")) {
      throw new IllegalArgumentException("file: needs an absolute path, e.g. file:/run/secrets/x");
    }
  }

  /** Parses {@code env:NAME} or {@code file:/path}. */
  public static SecretRef parse(String text) {
    if (text != null && text.startsWith("env:")) {
      return new SecretRef(Kind.ENV, text.substring(4));
    }
    if (text != null && text.startsWith("file:")) {
      return new SecretRef(Kind.FILE, text.substring(5));
    }
    throw new IllegalArgumentException(
        "a secret reference is env:NAME or file:/path, not a literal secret");
  }

  /** Resolves against the process environment and file system. */
  public Future<String> resolve(Vertx vertx) {
    return resolve(vertx, System::getenv);
  }

  /** Resolves with {@code env} standing in for the environment (tests). */
  public Future<String> resolve(Vertx vertx, Function<String, String> env) {
    if (kind == Kind.ENV) {
      String value = env.apply(name);
      return value == null || value.isBlank()
          ? Future.failedFuture(unavailable("environment variable " + name + " is not set"))
          : Future.succeededFuture(value.strip());
    }
    return vertx
        .fileSystem()
        .readFile(name)
        .recover(e -> Future.failedFuture(unavailable("cannot read " + name)))
        .compose(
            buffer -> {
              String value = buffer.toString(StandardCharsets.UTF_8).strip();
              return value.isEmpty()
                  ? Future.failedFuture(unavailable(name + " is empty"))
                  : Future.succeededFuture(value);
            });
  }

  private ModelException unavailable(String why) {
    return ModelException.of(ModelErrorCode.SECRET_UNAVAILABLE, "secret " + this + ": " + why);
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + name;
  }
}
