package dev.agentfactory.edge.model;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how to reach one OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server, any
 * hosted API speaking {@code POST /chat/completions}).
 *
 * @param baseUrl the API root, e.g. {@code https://api.openai.com/v1} or {@code
 *     http://localhost:11434/v1}; {@code /chat/completions} is appended
 * @param apiKey where the key lives; empty for servers without auth (most local ones)
 * @param connectTimeout how long to wait for a connection
 * @param readTimeout the longest silence allowed, waiting for the first byte or between chunks
 * @param retry retries for failures before anything was streamed
 * @param includeUsage ask for token usage in the stream ({@code stream_options.include_usage});
 *     turn off for servers that reject the option
 */
public record OpenAiConfig(
    URI baseUrl,
    Optional<SecretRef> apiKey,
    Duration connectTimeout,
    Duration readTimeout,
    RetryPolicy retry,
    boolean includeUsage) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(120);

  public OpenAiConfig {
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(apiKey, "apiKey");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(readTimeout, "readTimeout");
    Objects.requireNonNull(retry, "retry");
    String scheme = baseUrl.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme) || baseUrl.getHost() == null) {
      throw new IllegalArgumentException("base URL must be an absolute http(s) URL: " + baseUrl);
    }
    if (baseUrl.getRawUserInfo() != null || baseUrl.getRawQuery() != null) {
      throw new IllegalArgumentException(
          "base URL must not carry credentials or a query; use an api key reference");
    }
    if (connectTimeout.isNegative()
        || connectTimeout.isZero()
        || readTimeout.isNegative()
        || readTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
  }

  /** The defaults: 10 s to connect, 120 s of silence, {@link RetryPolicy#DEFAULT}, usage on. */
  public static OpenAiConfig of(URI baseUrl, Optional<SecretRef> apiKey) {
    return new OpenAiConfig(
        baseUrl, apiKey, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, RetryPolicy.DEFAULT, true);
  }

  /** {@code baseUrl} with {@code /chat/completions} appended. */
  public String chatCompletionsUrl() {
    String base = baseUrl.toString();
    return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/chat/completions";
  }
}
