package dev.agentfactory.edge.pipeline;

import dev.agentfactory.connectors.flink.FlinkRestClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shaded pipeline job jar on a Flink cluster: uploaded for one run and deleted again once the
 * run is accepted or refused (Flink keeps what the job needs in its blob store, and every
 * submission would otherwise leave the whole jar behind).
 */
final class PipelineJar {

  // the pipeline job's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(PipelineJob.class);

  /**
   * A run Flink accepted.
   *
   * @param jobId the job's id
   * @param resumedFrom the savepoint or checkpoint it started from; empty when it started without
   *     one, including when resuming failed and it started from the committed offsets
   */
  record Run(String jobId, Optional<String> resumedFrom) {}

  private final FlinkRestClient rest;
  private final Path jar;
  private final List<String> args;

  PipelineJar(FlinkRestClient rest, Path jar, List<String> args) {
    this.rest = rest;
    this.jar = jar;
    this.args = args;
  }

  Path path() {
    return jar;
  }

  /**
   * Uploads the jar and runs it, from {@code savepoint} if given (from the committed offsets if
   * Flink cannot resume from it): {@code starting} runs once the jar is uploaded, before the run is
   * asked for, and {@code accepted} sees the run before the uploaded jar is deleted.
   */
  CompletionStage<String> uploadAndRun(
      Optional<String> savepoint, Runnable starting, Function<Run, String> accepted) {
    return rest.uploadJar(jar)
        .thenCompose(
            jarId ->
                run(jarId, savepoint, starting)
                    .thenApply(accepted)
                    .handle(
                        (id, e) ->
                            deleteUploaded(jarId)
                                .thenApply(
                                    ignored -> {
                                      if (e != null) {
                                        throw e instanceof CompletionException c
                                            ? c
                                            : new CompletionException(e);
                                      }
                                      return id;
                                    }))
                    .thenCompose(Function.identity()));
  }

  /** Completes once Flink deleted the jar or refused to; never fails. */
  private CompletionStage<Void> deleteUploaded(String jarId) {
    return rest.deleteJar(jarId)
        .exceptionally(
            e -> {
              // The job runs either way; an embedded cluster's next start deletes the file.
              LOG.warn("cannot delete the uploaded job jar {} from Flink", jarId, e);
              return null;
            });
  }

  private CompletionStage<Run> run(String jarId, Optional<String> savepoint, Runnable starting) {
    starting.run();
    if (savepoint.isEmpty()) {
      return rest.runJar(jarId, args).thenApply(id -> new Run(id, Optional.empty()));
    }
    LOG.info("resuming the pipeline job from {}", savepoint.get());
    return rest.runJar(jarId, args, savepoint)
        .thenApply(id -> new Run(id, savepoint))
        .exceptionallyCompose(
            e -> {
              // E.g. it was deleted or the job changed incompatibly. Starting fresh is safe: the
              // source resumes from the consumer group's committed offsets, which each completed
              // checkpoint (and the savepoint) committed together with the files.
              LOG.warn(
                  "cannot resume from {} ({}); starting from committed offsets",
                  savepoint.get(),
                  e.getMessage());
              return rest.runJar(jarId, args).thenApply(id -> new Run(id, Optional.empty()));
            });
  }
}
