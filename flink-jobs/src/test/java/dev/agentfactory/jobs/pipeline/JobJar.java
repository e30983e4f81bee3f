package dev.agentfactory.jobs.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The shaded pipeline job jar that {@code package} writes, as the ITs submit it over REST. */
final class JobJar {

  private JobJar() {}

  static Path shaded() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("flink-jobs-.*-job\\.jar"))
          .findFirst()
          .orElseThrow(
              () -> new IllegalStateException("no shaded job jar in target/: run package"));
    }
  }
}
