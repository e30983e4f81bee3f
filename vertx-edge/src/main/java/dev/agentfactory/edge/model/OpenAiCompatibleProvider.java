package dev.agentfactory.edge.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.parsetools.RecordParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams chat completions from an OpenAI-compatible server: {@code POST
 * {baseUrl}/chat/completions} with {@code stream: true}, read as server-sent events.
 *
 * <p>Failures before anything was streamed (429, 5xx, timeouts, refused connections) are retried
 * with {@link RetryPolicy} backoff and jitter, honouring {@code Retry-After}; once the first event
 * went to the consumer nothing is retried, and a failure ends the stream with {@link
 * ModelErrorCode#STREAM_INTERRUPTED} carrying the partial text. The API key is resolved from its
 * {@link SecretRef} for every call, sent as a bearer token and redacted from every message.
 *
 * <pre>{@code
 * HttpClientAgent http = OpenAiCompatibleProvider.createHttpClient(vertx);
 * ModelProvider openai = new OpenAiCompatibleProvider(vertx, http,
 *     OpenAiConfig.of(URI.create("https://api.openai.com/v1"),
 *         Optional.of(SecretRef.parse("env:OPENAI_API_KEY"))));
 * }</pre>
 */
public final class OpenAiCompatibleProvider implements ModelProvider {

  private static final Logger LOG = LoggerFactory.getLogger(OpenAiCompatibleProvider.class);

  /** The longest SSE line accepted; a chunk is a few hundred bytes. */
  static final int MAX_LINE_BYTES = 1 << 20;

  private static final String REDACTED = "[redacted]";

  private final Vertx vertx;
  private final HttpClient client;
  private final OpenAiConfig config;
  private final Function<String, String> env;
  private final RandomGenerator random;
  private final ObjectMapper mapper = new ObjectMapper();
  private final OpenAiRequestEncoder encoder = new OpenAiRequestEncoder(mapper);

  public OpenAiCompatibleProvider(Vertx vertx, HttpClient client, OpenAiConfig config) {
    this(vertx, client, config, System::getenv, RandomGenerator.getDefault());
  }

  /** With a stand-in environment for {@code env:} secrets and a random source for jitter. */
  public OpenAiCompatibleProvider(
      Vertx vertx,
      HttpClient client,
      OpenAiConfig config,
      Function<String, String> env,
      RandomGenerator random) {
    this.vertx = vertx;
    this.client = client;
    this.config = config;
    this.env = env;
    this.random = random;
  }

  /** An HTTP client suited to model streams; share one per node and close it on shutdown. */
  public static HttpClientAgent createHttpClient(Vertx vertx) {
    return vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setVerifyHost(true),
        new PoolOptions().setHttp1MaxSize(64));
  }

  @Override
  public String name() {
    return "openai";
  }

  public OpenAiConfig config() {
    return config;
  }

  @Override
  public ModelStream stream(ChatRequest request) {
    Context context = vertx.getOrCreateContext();
    return new BufferedModelStream(
        context,
        out -> {
          Buffer body = encoder.encode(request, config.includeUsage());
          attempt(new Call(out, request, body), 1);
        });
  }

  /** One model call across its attempts. */
  private record Call(BufferedModelStream out, ChatRequest request, Buffer body) {}

  private void attempt(Call call, int attempt) {
    if (call.out.ended()) {
      return; // cancelled while backing off
    }
    Future<String> key =
        config.apiKey().map(ref -> ref.resolve(vertx, env)).orElse(Future.succeededFuture(null));
    key.onComplete(
        ar -> {
          if (ar.failed()) {
            call.out.fail(classify(ar.cause(), UnaryOperator.identity()));
          } else {
            send(call, attempt, ar.result());
          }
        });
  }

  private void send(Call call, int attempt, String apiKey) {
    UnaryOperator<String> redact = redactor(apiKey);
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(config.chatCompletionsUrl())
            .setConnectTimeout(config.connectTimeout().toMillis())
            .setIdleTimeout(config.readTimeout().toMillis())
            .putHeader("content-type", "application/json")
            .putHeader("accept", "text/event-stream");
    if (apiKey != null) {
      options.putHeader("authorization", "Bearer " + apiKey);
    }
    Attempt current = new Attempt(call, attempt, redact);
    client
        .request(options)
        .compose(
            request -> {
              call.out.upstream(current.cancelOnly(request::reset));
              return request.send(call.body);
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                current.failed(classify(ar.cause(), redact), Duration.ZERO);
              } else if (ar.result().statusCode() != 200) {
                httpError(current, ar.result());
              } else {
                stream(current, ar.result());
              }
            });
  }

  private void httpError(Attempt attempt, HttpClientResponse response) {
    int status = response.statusCode();
    Duration retryAfter = retryAfter(response.getHeader("retry-after"));
    response
        .body()
        .onComplete(
            body -> {
              String detail = body.succeeded() ? errorMessage(body.result()) : "";
              String message =
                  config.baseUrl()
                      + " answered HTTP "
                      + status
                      + (detail.isEmpty() ? "" : ": " + attempt.redact.apply(detail));
              attempt.failed(
                  ModelException.of(ModelErrorCode.forStatus(status), message, status, "", null),
                  retryAfter);
            });
  }

  private void stream(Attempt attempt, HttpClientResponse response) {
    BufferedModelStream out = attempt.call.out;
    OpenAiStreamDecoder decoder =
        new OpenAiStreamDecoder(mapper, out, attempt.call.request.model(), attempt.redact);
    RecordParser lines = RecordParser.newDelimited("\n", response).maxRecordSize(MAX_LINE_BYTES);
    out.upstream(
        new BufferedModelStream.Upstream() {
          @Override
          public void pause() {
            lines.pause();
          }

          @Override
          public void resume() {
            lines.resume();
          }

          @Override
          public void cancel() {
            response.request().reset();
          }
        });
    lines.exceptionHandler(
        e -> attempt.streamFailed(classify(e, attempt.redact), decoder.text(), response));
    lines.endHandler(
        v -> {
          try {
            decoder.end();
          } catch (ModelException e) {
            attempt.streamFailed(e, decoder.text(), response);
          }
        });
    lines.handler(
        line -> {
          if (attempt.over) {
            return;
          }
          try {
            decoder.line(line.toString(StandardCharsets.UTF_8));
          } catch (ModelException e) {
            attempt.streamFailed(e, decoder.text(), response);
          }
        });
  }

  /** The state of one HTTP attempt: ends once, then either retries or fails the stream. */
  private final class Attempt {
    final Call call;
    final int number;
    final UnaryOperator<String> redact;
    boolean over;

    Attempt(Call call, int number, UnaryOperator<String> redact) {
      this.call = call;
      this.number = number;
      this.redact = redact;
    }

    BufferedModelStream.Upstream cancelOnly(Runnable cancel) {
      return new BufferedModelStream.Upstream() {
        @Override
        public void pause() {}

        @Override
        public void resume() {}

        @Override
        public void cancel() {
          cancel.run();
        }
      };
    }

    /** A failure while the response streamed: retry only if nothing reached the consumer. */
    void streamFailed(ModelException error, String partialText, HttpClientResponse response) {
      if (over) {
        return;
      }
      if (error.code() == ModelErrorCode.MALFORMED_RESPONSE
          || error.code() == ModelErrorCode.STREAM_INTERRUPTED) {
        over = true;
        call.out.fail(error.withPartialText(partialText));
      } else if (call.out.emittedAny()) {
        over = true;
        call.out.fail(
            ModelException.of(
                ModelErrorCode.STREAM_INTERRUPTED,
                "the answer broke off after "
                    + partialText.length()
                    + " characters and is not retried: "
                    + error.getMessage(),
                error.httpStatus().orElse(0),
                partialText,
                error));
      } else {
        failed(error, Duration.ZERO);
      }
      // after deciding: resetting may report a second failure, which 'over' now ignores
      response.request().reset();
    }

    void failed(ModelException error, Duration serverHint) {
      if (over) {
        return;
      }
      over = true;
      BufferedModelStream out = call.out;
      if (error.retriable()
          && number < config.retry().maxAttempts()
          && !out.ended()
          && !out.emittedAny()) {
        Duration delay = config.retry().delayAfter(number, serverHint, random);
        LOG.info(
            "model call to {} failed ({}), attempt {} of {}; retrying in {} ms",
            config.baseUrl(),
            error.code().wire(),
            number,
            config.retry().maxAttempts(),
            delay.toMillis());
        vertx.timer(Math.max(1, delay.toMillis())).onComplete(t -> attempt(call, number + 1));
      } else {
        out.fail(error);
      }
    }
  }

  private ModelException classify(Throwable e, UnaryOperator<String> redact) {
    if (e instanceof ModelException model) {
      return model;
    }
    String message = redact.apply(String.valueOf(e.getMessage()));
    ModelErrorCode code;
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      code = ModelErrorCode.TIMEOUT;
      message = "no answer from " + config.baseUrl() + " in time: " + message;
    } else if (e instanceof IllegalStateException && message.contains("record")) {
      code = ModelErrorCode.MALFORMED_RESPONSE;
      message = "an SSE line from " + config.baseUrl() + " exceeds " + MAX_LINE_BYTES + " bytes";
    } else if (e instanceof IOException || e instanceof VertxException) {
      code = ModelErrorCode.CONNECTION_FAILED;
      message = "connection to " + config.baseUrl() + " failed: " + message;
    } else {
      code = ModelErrorCode.CONNECTION_FAILED;
      message = "model call to " + config.baseUrl() + " failed: " + message;
    }
    return ModelException.of(code, message, 0, "", null);
  }

  private String errorMessage(Buffer body) {
    String text = body.toString(StandardCharsets.UTF_8);
    try {
      JsonNode node = mapper.readTree(text);
      JsonNode error = node == null ? null : node.get("error");
      if (error != null && error.isTextual()) {
        return OpenAiStreamDecoder.abbreviate(error.textValue());
      }
      if (error != null && error.path("message").isTextual()) {
        return OpenAiStreamDecoder.abbreviate(error.get("message").textValue());
      }
    } catch (IOException notJson) {
      // fall through to the raw text
    }
    return OpenAiStreamDecoder.abbreviate(text.strip());
  }

  private static Duration retryAfter(String header) {
    if (header == null) {
      return Duration.ZERO;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(header.trim())));
    } catch (NumberFormatException httpDate) {
      return Duration.ZERO; // HTTP-date form: fall back to our own backoff
    }
  }

  private static UnaryOperator<String> redactor(String secret) {
    if (secret == null || secret.isEmpty()) {
      return UnaryOperator.identity();
    }
    return text -> text == null ? null : text.replace(secret, REDACTED);
  }

  @Override
  public String toString() {
    return "OpenAiCompatibleProvider[" + config.baseUrl() + ", key=" + config.apiKey() + "]";
  }
}
