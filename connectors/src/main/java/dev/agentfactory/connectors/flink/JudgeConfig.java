package dev.agentfactory.connectors.flink;

import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The LLM-as-a-judge settings of the pipeline: an OpenAI-compatible chat completions endpoint, off
 * unless {@code --judge-endpoint} is given. The API key is never a program argument (those show in
 * Flink's web UI and REST API): {@code --judge-api-key-env} names the environment variable of the
 * task managers that holds it, e.g. one filled from a Kubernetes Secret.
 *
 * <pre>
 * --judge-endpoint        base URL, e.g. https://api.openai.com/v1 (absent: judge off)
 * --judge-model           model name, default gpt-4o-mini
 * --judge-api-key-env     environment variable with the API key, default AF_JUDGE_API_KEY
 * --judge-sample-rate     share of turns judged, 0..1, default 0.1
 * --judge-timeout-ms      per call; a timeout gives a degraded label, default 10000
 * --judge-max-concurrent  in-flight calls per subtask, default 16
 * </pre>
 *
 * @param endpoint the base URL ({@code /chat/completions} is appended); null means off (a plain
 *     field, not an {@code Optional}: the config travels with the job graph, serialised)
 */
public record JudgeConfig(
    URI endpoint,
    String model,
    String apiKeyEnv,
    double sampleRate,
    long timeoutMs,
    int maxConcurrent)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /**
   * The version of the judge's rubric (its prompt and scale), recorded on every judge label and in
   * dataset lineage; the rubric itself is {@code JudgeRubric} in the pipeline job.
   */
  public static final String RUBRIC_VERSION = "judge-helpfulness-v1";

  public static final String DEFAULT_MODEL = "gpt-4o-mini";
  public static final String DEFAULT_API_KEY_ENV = "AF_JUDGE_API_KEY";
  public static final double DEFAULT_SAMPLE_RATE = 0.1;
  public static final long DEFAULT_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_MAX_CONCURRENT = 16;

  public JudgeConfig {
    if (endpoint != null
        && !"http".equals(endpoint.getScheme())
        && !"https".equals(endpoint.getScheme())) {
      throw new IllegalArgumentException(
          "--judge-endpoint: must be an http or https URL but was '" + endpoint + "'");
    }
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("--judge-model: is required");
    }
    if (apiKeyEnv == null || apiKeyEnv.isBlank()) {
      throw new IllegalArgumentException("--judge-api-key-env: is required");
    }
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException(
          "--judge-sample-rate: must be in [0, 1] but was " + sampleRate);
    }
    if (timeoutMs < 1) {
      throw new IllegalArgumentException("--judge-timeout-ms: must be >= 1 but was " + timeoutMs);
    }
    if (maxConcurrent < 1) {
      throw new IllegalArgumentException(
          "--judge-max-concurrent: must be >= 1 but was " + maxConcurrent);
    }
  }

  /** The judge switched off. */
  public static JudgeConfig off() {
    return new JudgeConfig(
        null,
        DEFAULT_MODEL,
        DEFAULT_API_KEY_ENV,
        DEFAULT_SAMPLE_RATE,
        DEFAULT_TIMEOUT_MS,
        DEFAULT_MAX_CONCURRENT);
  }

  public boolean enabled() {
    return endpoint != null && sampleRate > 0;
  }

  /**
   * {@code <model>/<rubric version>} when the judge is on, else null: what dataset lineage records
   * as the judge version.
   */
  public String version() {
    return enabled() ? model + "/" + RUBRIC_VERSION : null;
  }

  /** The endpoint, if the judge is configured. */
  public Optional<URI> endpointUrl() {
    return Optional.ofNullable(endpoint);
  }

  static JudgeConfig fromArgs(Args args) {
    String endpoint = args.get("judge-endpoint");
    URI uri;
    try {
      uri = endpoint == null || endpoint.isBlank() ? null : new URI(endpoint);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("--judge-endpoint: not a URL: '" + endpoint + "'", e);
    }
    return new JudgeConfig(
        uri,
        args.get("judge-model", DEFAULT_MODEL),
        args.get("judge-api-key-env", DEFAULT_API_KEY_ENV),
        args.getDouble("judge-sample-rate", DEFAULT_SAMPLE_RATE),
        args.getLong("judge-timeout-ms", DEFAULT_TIMEOUT_MS),
        (int) args.getLong("judge-max-concurrent", DEFAULT_MAX_CONCURRENT));
  }

  List<String> toArgs() {
    List<String> args = new ArrayList<>();
    if (endpoint != null) {
      args.add("--judge-endpoint");
      args.add(endpoint.toString());
    }
    args.add("--judge-model");
    args.add(model);
    args.add("--judge-api-key-env");
    args.add(apiKeyEnv);
    args.add("--judge-sample-rate");
    args.add(Double.toString(sampleRate));
    args.add("--judge-timeout-ms");
    args.add(Long.toString(timeoutMs));
    args.add("--judge-max-concurrent");
    args.add(Integer.toString(maxConcurrent));
    return args;
  }

  /** Typed access to {@code --name value} arguments; errors name the argument. */
  interface Args {
    String get(String name);

    default String get(String name, String fallback) {
      String value = get(name);
      return value == null ? fallback : value;
    }

    default long getLong(String name, long fallback) {
      String value = get(name);
      try {
        return value == null ? fallback : Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--" + name + ": not a number: '" + value + "'", e);
      }
    }

    default double getDouble(String name, double fallback) {
      String value = get(name);
      try {
        return value == null ? fallback : Double.parseDouble(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--" + name + ": not a number: '" + value + "'", e);
      }
    }
  }
}
