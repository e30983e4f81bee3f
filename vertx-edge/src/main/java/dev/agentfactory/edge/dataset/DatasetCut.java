package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.connectors.dataset.version.ProgressListener;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.UUID;

/**
 * One version cut running in the background: what {@code POST /v1/datasets/{name}/versions} starts
 * and {@code GET /v1/datasets/{name}/cuts/{id}} shows. The cut's worker thread writes progress;
 * request threads read a consistent snapshot with {@link #toJson()}, which is also the form {@link
 * DatasetCutStore} keeps on disk.
 */
final class DatasetCut implements ProgressListener {

  /** The error code of a cut that a node stop cut short. */
  static final String INTERRUPTED = "interrupted";

  enum State {
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  private final String id;
  private final String dataset;
  private final Instant startedAt;
  private State state = State.RUNNING;
  private int filesDone;
  private int filesTotal;
  private long bytesDone;
  private long bytesTotal;
  private long rowsDone;
  private Integer version;
  private Instant finishedAt;
  private String errorCode;
  private String errorMessage;
  private boolean retriable;

  /**
   * A cut about to start, with the totals of the files it will read as listed just before ({@link
   * dev.agentfactory.connectors.dataset.version.CutPreview}), so its first status has them; the cut
   * corrects them when it lists the files itself.
   */
  DatasetCut(String dataset, int filesTotal, long bytesTotal) {
    this(UUID.randomUUID().toString(), dataset, now());
    this.filesTotal = filesTotal;
    this.bytesTotal = bytesTotal;
  }

  private DatasetCut(String id, String dataset, Instant startedAt) {
    this.id = id;
    this.dataset = dataset;
    this.startedAt = startedAt;
  }

  /** A cut as {@link #toJson()} wrote it. */
  static DatasetCut fromJson(JsonObject json) {
    DatasetCut cut =
        new DatasetCut(
            UUID.fromString(json.getString("cut_id")).toString(),
            json.getString("dataset"),
            Instant.parse(json.getString("started_at")));
    cut.state = State.valueOf(json.getString("state").toUpperCase(Locale.ROOT));
    cut.filesDone = json.getInteger("files_done", 0);
    cut.filesTotal = json.getInteger("files_total", 0);
    cut.rowsDone = json.getLong("rows_done", 0L);
    cut.bytesDone = json.getLong("bytes_done", 0L);
    cut.bytesTotal = json.getLong("bytes_total", 0L);
    String finished = json.getString("finished_at");
    cut.finishedAt = finished == null ? null : Instant.parse(finished);
    cut.version = json.getInteger("version");
    JsonObject error = json.getJsonObject("error");
    if (error != null) {
      cut.errorCode = error.getString("code");
      cut.errorMessage = error.getString("message");
      cut.retriable = error.getBoolean("retriable", false);
    }
    if (cut.dataset == null || (cut.state == State.SUCCEEDED && cut.version == null)) {
      throw new IllegalArgumentException("incomplete cut record " + cut.id);
    }
    return cut;
  }

  String id() {
    return id;
  }

  String dataset() {
    return dataset;
  }

  Instant startedAt() {
    return startedAt;
  }

  /** Where the client polls: {@code /v1/datasets/{name}/cuts/{id}}. */
  String location() {
    return "/v1/datasets/" + dataset + "/cuts/" + id;
  }

  /** Where a version's manifest is served: {@code /v1/datasets/{name}/versions/{n}}. */
  static String versionUrl(String dataset, int version) {
    return "/v1/datasets/" + dataset + "/versions/" + version;
  }

  @Override
  public synchronized void onProgress(
      int filesDone, int filesTotal, long bytesDone, long bytesTotal) {
    this.filesDone = filesDone;
    this.filesTotal = filesTotal;
    this.bytesDone = bytesDone;
    this.bytesTotal = bytesTotal;
  }

  @Override
  public synchronized void onRows(long rowsDone) {
    this.rowsDone = rowsDone;
  }

  synchronized int filesDone() {
    return filesDone;
  }

  synchronized void succeeded(int version) {
    this.version = version;
    this.state = State.SUCCEEDED;
    this.finishedAt = now();
  }

  synchronized void failed(Throwable e) {
    this.state = State.FAILED;
    this.finishedAt = now();
    if (e instanceof DatasetException d) {
      errorCode = d.code().wireName();
      retriable = d.retriable();
      errorMessage = String.valueOf(e.getMessage());
    } else {
      errorCode = "io_error";
      // with its class: the message of an unexpected exception or error often means little alone
      errorMessage = e.toString();
    }
  }

  /** A node stop cut the cut short: failed, {@code interrupted}, retriable. */
  synchronized void interrupted(String message) {
    this.state = State.FAILED;
    this.finishedAt = now();
    this.errorCode = INTERRUPTED;
    this.errorMessage = message;
    this.retriable = true;
  }

  synchronized boolean running() {
    return state == State.RUNNING;
  }

  synchronized JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("cut_id", id)
            .put("dataset", dataset)
            .put("state", state.name().toLowerCase(Locale.ROOT))
            .put("files_done", filesDone)
            .put("files_total", filesTotal)
            .put("rows_done", rowsDone)
            .put("bytes_done", bytesDone)
            .put("bytes_total", bytesTotal)
            .put("started_at", MILLIS.format(startedAt))
            .put("finished_at", finishedAt == null ? null : MILLIS.format(finishedAt))
            .put("version", version)
            .put("version_url", version == null ? null : versionUrl(dataset, version));
    if (errorCode != null) {
      json.put(
          "error",
          new JsonObject()
              .put("code", errorCode)
              .put("message", errorMessage)
              .put("retriable", retriable));
    } else {
      json.putNull("error");
    }
    return json;
  }

  /**
   * The time now, to the millisecond: what {@code docs/datasets.md} shows, and every status of one
   * cut alike (the clock may give micro- or nanoseconds).
   */
  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  /** Always three digits of fraction ({@link Instant#toString} drops a zero fraction). */
  private static final DateTimeFormatter MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
}
