package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.connectors.dataset.version.ProgressListener;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/**
 * One version cut running in the background: what {@code POST /v1/datasets/{name}/versions} starts
 * and {@code GET /v1/datasets/{name}/cuts/{id}} shows. The cut's worker thread writes progress;
 * request threads read a consistent snapshot with {@link #toJson()}.
 */
final class DatasetCut implements ProgressListener {

  enum State {
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  private final String id = UUID.randomUUID().toString();
  private final String dataset;
  private final Instant startedAt = Instant.now();
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

  DatasetCut(String dataset, int filesTotal) {
    this.dataset = dataset;
    this.filesTotal = filesTotal;
  }

  String id() {
    return id;
  }

  String dataset() {
    return dataset;
  }

  /** Where the client polls: {@code /v1/datasets/{name}/cuts/{id}}. */
  String location() {
    return "/v1/datasets/" + dataset + "/cuts/" + id;
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
    this.finishedAt = Instant.now();
  }

  synchronized void failed(Throwable e) {
    this.state = State.FAILED;
    this.finishedAt = Instant.now();
    if (e instanceof DatasetException d) {
      errorCode = d.code().wireName();
      retriable = d.retriable();
    } else {
      errorCode = "io_error";
    }
    errorMessage = String.valueOf(e.getMessage());
  }

  synchronized boolean running() {
    return state == State.RUNNING;
  }

  synchronized JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("cut_id", id)
            .put("dataset", dataset)
            .put("state", state.name().toLowerCase(java.util.Locale.ROOT))
            .put("files_done", filesDone)
            .put("files_total", filesTotal)
            .put("rows_done", rowsDone)
            .put("bytes_done", bytesDone)
            .put("bytes_total", bytesTotal)
            .put("started_at", startedAt.toString())
            .put("finished_at", finishedAt == null ? null : finishedAt.toString())
            .put("version", version)
            .put(
                "version_url",
                version == null ? null : "/v1/datasets/" + dataset + "/versions/" + version);
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
}
