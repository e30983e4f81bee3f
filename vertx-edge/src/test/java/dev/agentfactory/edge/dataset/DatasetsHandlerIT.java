package dev.agentfactory.edge.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.dataset.version.ProgressListener;
import dev.agentfactory.edge.TestHttp;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.ApiRouter;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.auth.RateLimiter;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset routes on a real HTTP server behind the contract router, where files on disk are not
 * as a version left them: downloads (byte ranges, listed files that cannot be sent) and version
 * listings with a manifest that cannot be read. The rest of the dataset API is in ApiIT.
 */
class DatasetsHandlerIT {

  private static final String ADMIN = "admin-key-0123456789";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String PART = "2026-11-25--10/part-a-0.parquet";
  private static final String FILE = "/v1/datasets/sft/versions/1/file?path=" + PART;

  @TempDir Path dir;
  private Vertx vertx;
  private ApiKeyStore keys;
  private Auth auth;
  private DatasetsHandler datasets;
  private HttpServer server;
  private final HttpClient http = TestHttp.client();

  /** What cuts are told produced the files (a test may hold a cut there). */
  private volatile Supplier<Lineage> lineage = Lineage::unknown;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    keys = ApiKeyStore.embedded(dir);
    auth = new Auth(vertx, Optional.of(ADMIN), keys, new RateLimiter(1000, 1000));
    auth.start().toCompletionStage().toCompletableFuture().join();
    datasets =
        new DatasetsHandler(
            vertx, dir.resolve("datasets"), () -> lineage.get(), dir.resolve("cuts"));
    // every other operation of the contract answers nothing of interest here
    Map<String, Handler<RoutingContext>> operations = new HashMap<>();
    MAPPER
        .readTree(ApiRouter.contractText())
        .get("paths")
        .forEach(
            path ->
                path.forEach(
                    operation -> {
                      if (operation.has("operationId")) {
                        operations.put(
                            operation.get("operationId").asText(),
                            ctx -> ctx.response().setStatusCode(501).end());
                      }
                    }));
    operations.put("cutDatasetVersion", datasets::cut);
    operations.put("getDatasetCut", datasets::cutStatus);
    operations.put("getDatasetFile", datasets::file);
    operations.put("getDatasetVersion", datasets::version);
    operations.put("listDatasetVersions", datasets::versions);
    operations.put("listDatasets", datasets::list);
    server =
        vertx
            .createHttpServer()
            .invalidRequestHandler(ApiErrors::invalidRequest)
            .requestHandler(ApiRouter.create(vertx, auth.handler(), operations))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .join();
  }

  @AfterEach
  void stop() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().join();
    datasets.close().toCompletionStage().toCompletableFuture().join();
    auth.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
    keys.close();
  }

  @Test
  void aBrokenDownloadResumesWithAByteRange() throws Exception {
    byte[] whole = Files.readAllBytes(versionOne());
    int size = whole.length;

    HttpResponse<byte[]> full = get("GET", FILE);
    assertThat(full.statusCode()).isEqualTo(200);
    assertThat(full.body()).isEqualTo(whole);
    assertThat(full.headers().firstValue("accept-ranges")).hasValue("bytes");

    HttpResponse<byte[]> head = get("GET", FILE, "range", "bytes=0-3");
    assertThat(head.statusCode()).isEqualTo(206);
    assertThat(new String(head.body(), StandardCharsets.US_ASCII)).isEqualTo("PAR1");
    assertThat(head.headers().firstValue("content-range")).hasValue("bytes 0-3/" + size);
    assertThat(head.headers().firstValueAsLong("content-length")).hasValue(4);

    int half = size / 2;
    HttpResponse<byte[]> rest = get("GET", FILE, "range", "bytes=" + half + "-");
    assertThat(rest.statusCode()).isEqualTo(206);
    assertThat(rest.headers().firstValue("content-range"))
        .hasValue("bytes " + half + "-" + (size - 1) + "/" + size);
    byte[] resumed = Arrays.copyOf(whole, half);
    resumed = Arrays.copyOf(resumed, size);
    System.arraycopy(rest.body(), 0, resumed, half, rest.body().length);
    assertThat(resumed).as("the first half as held, the rest as resumed").isEqualTo(whole);

    HttpResponse<byte[]> tail = get("GET", FILE, "range", "bytes=-4");
    assertThat(tail.statusCode()).isEqualTo(206);
    assertThat(new String(tail.body(), StandardCharsets.US_ASCII))
        .as("a Parquet file ends with its magic too")
        .isEqualTo("PAR1");

    HttpResponse<byte[]> headOfRange = get("HEAD", FILE, "range", "bytes=0-3");
    assertThat(headOfRange.statusCode()).isEqualTo(206);
    assertThat(headOfRange.body()).isEmpty();
    assertThat(headOfRange.headers().firstValueAsLong("content-length")).hasValue(4);

    HttpResponse<byte[]> several = get("GET", FILE, "range", "bytes=0-3,8-9");
    assertThat(several.statusCode()).as("several ranges: the whole file").isEqualTo(200);
    assertThat(several.body()).isEqualTo(whole);

    HttpResponse<byte[]> past = get("GET", FILE, "range", "bytes=" + size + "-");
    assertThat(past.statusCode()).isEqualTo(416);
    assertThat(past.headers().firstValue("content-range")).hasValue("bytes */" + size);
    JsonNode error = MAPPER.readTree(past.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("range_not_satisfiable");
    assertThat(error.get("field").asText()).isEqualTo("range");
    assertMatchesContract("getDatasetFile", past);
  }

  @Test
  void aListedFileThatVanishesBeforeItIsSentIsAnsweredNotFound() throws Exception {
    versionOne();
    datasets.beforeSend =
        file -> {
          try {
            Files.delete(file);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        };

    HttpResponse<byte[]> gone = get("GET", FILE);

    assertThat(gone.statusCode())
        .as(new String(gone.body(), StandardCharsets.UTF_8))
        .isEqualTo(404);
    assertThat(gone.headers().firstValue("content-disposition")).isEmpty();
    JsonNode error = MAPPER.readTree(gone.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("not_found");
    assertThat(error.get("message").asText()).contains(PART, "no longer exists");
    assertThat(error.get("field").asText()).isEqualTo("path");
    assertMatchesContract("getDatasetFile", gone);
  }

  @Test
  void aFileWhoseNameBreaksAHeaderOrAQueryDownloadsUnderItsOwnName() throws Exception {
    List<String> names =
        List.of(
            "part-\"quoted\".parquet",
            "part-line\nbreak.parquet",
            "part-cr\rlf.parquet",
            "part-a;b=c&d+e%20f #g?h\\i.parquet",
            "part-été-数据-\ud83d\ude00.parquet");
    for (String name : names) {
      sftFile(name);
    }
    new DatasetCatalog(dir.resolve("datasets"))
        .cut("sft", Lineage.unknown(), ProgressListener.NONE);

    for (String name : names) {
      String path = "2026-11-25--10/" + name;
      HttpResponse<byte[]> file =
          get(
              "GET",
              "/v1/datasets/sft/versions/1/file?path="
                  + URLEncoder.encode(path, StandardCharsets.UTF_8).replace("+", "%20"));

      assertThat(file.statusCode())
          .as(name + ": " + new String(file.body(), StandardCharsets.UTF_8))
          .isEqualTo(200);
      assertThat(file.body())
          .isEqualTo(Files.readAllBytes(dir.resolve("datasets/sft").resolve(path)));
      String disposition = file.headers().firstValue("content-disposition").orElseThrow();
      assertThat(disposition).doesNotContain("\r", "\n").isEqualTo(disposition.strip());
      assertThat(disposition.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
      Matcher fallback =
          Pattern.compile("^attachment; filename=\"([^\"\\\\%]*)\"; filename\\*=UTF-8''(.+)$")
              .matcher(disposition);
      assertThat(fallback.matches()).as(disposition).isTrue();
      assertThat(fallback.group(2)).matches("[A-Za-z0-9!#$&+\\-.^_`|~%]+");
      assertThat(URLDecoder.decode(fallback.group(2).replace("+", "%2B"), StandardCharsets.UTF_8))
          .as("the name, as the manifest lists it")
          .isEqualTo(name);
    }
  }

  @Test
  void everyNotFoundAndInvalidRequestNamesTheFieldItIsAbout() throws Exception {
    versionOne();
    String[][] cases = {
      // method, path, operation, status, code, field
      {"POST", "/v1/datasets/rft/versions", "cutDatasetVersion", "404", "not_found", "name"},
      {"POST", "/v1/datasets/nope/versions", "cutDatasetVersion", "404", "not_found", "name"},
      {"GET", "/v1/datasets/nope/versions", "listDatasetVersions", "404", "not_found", "name"},
      {"GET", "/v1/datasets/nope/versions/1", "getDatasetVersion", "404", "not_found", "name"},
      {"GET", "/v1/datasets/sft/versions/2", "getDatasetVersion", "404", "not_found", "version"},
      {
        "GET",
        "/v1/datasets/sft/versions/1.0",
        "getDatasetVersion",
        "400",
        "invalid_field",
        "version"
      },
      {
        "GET",
        "/v1/datasets/nope/versions/1/file?path=x",
        "getDatasetFile",
        "404",
        "not_found",
        "name"
      },
      {
        "GET",
        "/v1/datasets/rft/versions/1/file?path=x",
        "getDatasetFile",
        "404",
        "not_found",
        "version"
      },
      {
        "GET",
        "/v1/datasets/sft/versions/2/file?path=" + PART,
        "getDatasetFile",
        "404",
        "not_found",
        "version"
      },
      {
        "GET",
        "/v1/datasets/sft/versions/1/file?path=unlisted",
        "getDatasetFile",
        "404",
        "not_found",
        "path"
      },
      {
        "GET",
        "/v1/datasets/sft/versions/1/file?path=..%2Fa",
        "getDatasetFile",
        "400",
        "invalid_name",
        "path"
      },
      {"GET", "/v1/datasets/sft/versions/1/file", "getDatasetFile", "400", "invalid_field", "path"},
      {"GET", "/v1/datasets/sft/cuts/nope", "getDatasetCut", "404", "not_found", "id"},
    };
    for (String[] c : cases) {
      HttpResponse<byte[]> answer = get(c[0], c[1]);
      String body = new String(answer.body(), StandardCharsets.UTF_8);
      assertThat(answer.statusCode()).as(c[1] + ": " + body).isEqualTo(Integer.parseInt(c[3]));
      JsonNode error = MAPPER.readTree(body).get("error");
      assertThat(error.get("code").asText()).as(c[1] + ": " + body).isEqualTo(c[4]);
      assertThat(error.path("field").asText()).as(c[1] + ": " + body).isEqualTo(c[5]);
      assertMatchesContract(c[2], answer);
    }
  }

  @Test
  void aManifestThatCannotBeReadIsNamedAndTheOtherVersionsStillList() throws Exception {
    DatasetCatalog catalog = new DatasetCatalog(dir.resolve("datasets"));
    for (String part : List.of("part-a-0.parquet", "part-b-0.parquet", "part-c-0.parquet")) {
      sftFile(part);
      catalog.cut("sft", Lineage.unknown(), ProgressListener.NONE);
    }
    // as a newer node sharing the directory would write it
    Path v2 = dir.resolve("datasets/sft/_versions/v2.json");
    Files.writeString(
        v2, Files.readString(v2).replaceFirst("\"format\"\\s*:\\s*1", "\"format\": 2"));

    HttpResponse<byte[]> all = get("GET", "/v1/datasets/sft/versions");
    assertThat(all.statusCode()).as(new String(all.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertMatchesContract("listDatasetVersions", all);
    JsonNode listed = MAPPER.readTree(all.body());
    assertThat(listed.get("versions").findValuesAsText("version")).containsExactly("1", "3");
    assertThat(listed.at("/unreadable_versions/0/version").asInt()).isEqualTo(2);
    assertThat(listed.at("/unreadable_versions/0/reason").asText())
        .contains("unsupported manifest format 2");
    assertThat(listed.get("unreadable_versions")).hasSize(1);

    JsonNode first = MAPPER.readTree(get("GET", "/v1/datasets/sft/versions?limit=1").body());
    assertThat(first.get("versions").findValuesAsText("version")).containsExactly("1");
    assertThat(first.get("unreadable_versions")).as("v2 is past this page").isEmpty();
    JsonNode second =
        MAPPER.readTree(
            get(
                    "GET",
                    "/v1/datasets/sft/versions?limit=1&cursor=" + first.get("next_cursor").asText())
                .body());
    assertThat(second.get("versions").findValuesAsText("version")).containsExactly("3");
    assertThat(second.get("unreadable_versions").findValuesAsText("version")).containsExactly("2");
    assertThat(second.get("next_cursor").isNull()).isTrue();

    JsonNode lastPage = MAPPER.readTree(get("GET", "/v1/datasets/sft/versions?limit=2").body());
    assertThat(lastPage.get("versions").findValuesAsText("version")).containsExactly("1", "3");
    assertThat(lastPage.get("unreadable_versions").findValuesAsText("version"))
        .containsExactly("2");
    assertThat(lastPage.get("next_cursor").isNull()).isTrue();
  }

  @Test
  void aCutAskedForWhileTheLastOneEndsAnswersTheVersionItPublished() throws Exception {
    sftFile("part-a-0.parquet");
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    lineage =
        () -> {
          held.countDown();
          try {
            release.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return Lineage.unknown();
        };
    HttpResponse<byte[]> first = get("POST", "/v1/datasets/sft/versions");
    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(held.await(60, TimeUnit.SECONDS)).as("the first cut runs").isTrue();

    // The second request previews while the first cut runs (nothing published yet), and the
    // first cut publishes and ends before the second request decides.
    AtomicBoolean armed = new AtomicBoolean(true);
    datasets.afterPreview =
        name -> {
          if (armed.getAndSet(false)) {
            release.countDown();
            Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .until(
                    this::sftListed,
                    sft ->
                        sft.get("latest_version").asInt() == 1
                            && sft.get("cut_in_progress").isNull());
          }
        };
    HttpResponse<byte[]> second = get("POST", "/v1/datasets/sft/versions");

    assertThat(second.statusCode())
        .as(new String(second.body(), StandardCharsets.UTF_8))
        .isEqualTo(200);
    assertThat(MAPPER.readTree(second.body()).get("version").asInt()).isEqualTo(1);
    try (var manifests = Files.list(dir.resolve("datasets/sft/_versions"))) {
      assertThat(manifests.map(p -> p.getFileName().toString()))
          .as("no second version with the same files")
          .containsExactly("v1.json");
    }
  }

  /** Writes one committed SFT file, cuts version 1 of it and returns the file. */
  private Path versionOne() throws Exception {
    Path file =
        Files.createDirectories(dir.resolve("datasets/sft/2026-11-25--10"))
            .resolve("part-a-0.parquet");
    try (ParquetWriter<GenericRecord> writer =
        AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
            .withSchema(DatasetKind.SFT.avroSchema())
            .build()) {
      // the schema goes into the footer
    }
    HttpResponse<byte[]> cut = get("POST", "/v1/datasets/sft/versions");
    assertThat(cut.statusCode()).isEqualTo(202);
    String location = cut.headers().firstValue("location").orElseThrow();
    JsonNode done =
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () -> MAPPER.readTree(get("GET", location).body()),
                status -> !status.get("state").asText().equals("running"));
    assertThat(done.get("version").asInt()).as(done.toString()).isEqualTo(1);
    return file;
  }

  /** The {@code sft} dataset as {@code GET /v1/datasets} lists it. */
  private JsonNode sftListed() throws Exception {
    for (JsonNode dataset : MAPPER.readTree(get("GET", "/v1/datasets").body()).get("datasets")) {
      if (dataset.get("name").asText().equals("sft")) {
        return dataset;
      }
    }
    throw new AssertionError("sft is not listed");
  }

  /** One committed SFT file without rows (valid Parquet: a cut versions it). */
  private Path sftFile(String part) throws Exception {
    Path file = Files.createDirectories(dir.resolve("datasets/sft/2026-11-25--10")).resolve(part);
    try (ParquetWriter<GenericRecord> writer =
        AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
            .withSchema(DatasetKind.SFT.avroSchema())
            .build()) {
      // the schema goes into the footer
    }
    return file;
  }

  private HttpResponse<byte[]> get(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
            .timeout(Duration.ofSeconds(60))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .header("authorization", "Bearer " + ADMIN);
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Fails unless {@code response} is an answer the contract documents for {@code operationId}. */
  private void assertMatchesContract(String operationId, HttpResponse<byte[]> response) {
    OpenAPIContract contract =
        OpenAPIContract.from(vertx, new io.vertx.core.json.JsonObject(ApiRouter.contractText()))
            .toCompletionStage()
            .toCompletableFuture()
            .join();
    Map<String, String> headers = new HashMap<>();
    response.headers().map().forEach((name, values) -> headers.put(name, values.get(0)));
    try {
      ResponseValidator.create(vertx, contract)
          .validate(
              ValidatableResponse.create(
                  response.statusCode(),
                  headers,
                  io.vertx.core.buffer.Buffer.buffer(response.body()),
                  response.headers().firstValue("content-type").orElse(null)),
              operationId)
          .toCompletionStage()
          .toCompletableFuture()
          .join();
    } catch (java.util.concurrent.CompletionException e) {
      throw new AssertionError(
          operationId + " answered what its contract does not document", e.getCause());
    }
  }
}
