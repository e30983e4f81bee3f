package dev.agentfactory.jobs.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Asks an OpenAI-compatible chat completions endpoint ({@code POST <base>/chat/completions}) for a
 * verdict under {@link JudgeRubric}. Non-blocking: {@link #judge} returns at once.
 *
 * <pre>{@code
 * JudgeClient client = new JudgeClient(URI.create("http://127.0.0.1:8000/v1"), "gpt-4o-mini",
 *     Optional.of(apiKey), Duration.ofSeconds(10));
 * client.judge(JudgeRubric.transcript(event)).thenAccept(v -> ...);
 * }</pre>
 */
public final class JudgeClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI completions;
  private final String model;
  private final Optional<String> apiKey;
  private final Duration timeout;

  public JudgeClient(URI baseUrl, String model, Optional<String> apiKey, Duration timeout) {
    String base = baseUrl.toString();
    this.completions = URI.create((base.endsWith("/") ? base : base + "/") + "chat/completions");
    this.model = model;
    this.apiKey = apiKey;
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  public String model() {
    return model;
  }

  /** The verdict, or a failed stage with a {@link JudgeException}. */
  public CompletionStage<JudgeVerdict> judge(String transcript) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(completions)
            .timeout(timeout)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body(transcript)));
    apiKey.ifPresent(key -> request.header("authorization", "Bearer " + key));
    CompletableFuture<HttpResponse<String>> response;
    try {
      response = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new JudgeException("judge request: " + e, e));
    }
    return response.thenApply(this::verdict);
  }

  private String body(String transcript) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    body.put("temperature", 0);
    ArrayNode messages = body.putArray("messages");
    messages.addObject().put("role", "system").put("content", JudgeRubric.SYSTEM_PROMPT);
    messages.addObject().put("role", "user").put("content", transcript);
    return body.toString();
  }

  private JudgeVerdict verdict(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new JudgeException(
          "judge endpoint " + completions + " answered HTTP " + response.statusCode());
    }
    JsonNode root;
    try {
      root = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new JudgeException("judge response: not JSON", e);
    }
    JsonNode content = root.path("choices").path(0).path("message").path("content");
    if (!content.isTextual()) {
      throw new JudgeException("judge response.choices[0].message.content: missing");
    }
    String answeredBy = root.path("model").isTextual() ? root.path("model").asText() : model;
    return JudgeRubric.parse(content.asText(), answeredBy);
  }
}
