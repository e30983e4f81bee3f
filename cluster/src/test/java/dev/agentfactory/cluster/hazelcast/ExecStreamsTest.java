package dev.agentfactory.cluster.hazelcast;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.SandboxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ExecStreamsTest {

  private final ExecStreams streams = new ExecStreams();
  private final List<String> seen = new ArrayList<>();
  private final OutputListener recording =
      (stream, chunk) -> seen.add(stream + ":" + new String(chunk, UTF_8));

  private static OutputChunk out(String text) {
    return OutputChunk.of(OutputListener.Stream.STDOUT, text.getBytes(UTF_8));
  }

  private static OutputChunk err(String text) {
    return OutputChunk.of(OutputListener.Stream.STDERR, text.getBytes(UTF_8));
  }

  private static ExecReply exited(List<OutputChunk> tail, boolean outputLost) {
    return new ExecReply("EXITED", 0, 1_000_000, false, tail, outputLost, false);
  }

  @Test
  void batchesAndTheReplysTailReachTheListenerInOrderBeforeTheResult() {
    ExecStreams.Stream stream = streams.open("e-1", recording);

    assertThat(streams.deliver("e-1", List.of(out("a"), err("b")))).isTrue();
    assertThat(streams.deliver("e-1", List.of(out("c")))).isTrue();
    assertThat(stream.result).isNotDone();
    stream.finish(exited(List.of(out("d")), false));

    assertThat(seen).containsExactly("STDOUT:a", "STDERR:b", "STDOUT:c", "STDOUT:d");
    assertThat(stream.result.join().status()).isEqualTo(ExecResult.Status.EXITED);
    assertThat(streams.size()).isZero();
  }

  @Test
  void aBatchForAnUnknownCommandTellsTheHostToStop() {
    assertThat(streams.deliver("nobody", List.of(out("a")))).isFalse();
  }

  @Test
  void aListenerThatThrowsFailsTheCommandAndStopsTheHost() {
    ExecStreams.Stream stream =
        streams.open(
            "e-1",
            (s, chunk) -> {
              throw new IllegalStateException("gone");
            });

    assertThat(streams.deliver("e-1", List.of(out("a"), out("b")))).isFalse();

    assertThat(failureCode(stream)).isEqualTo("listener_failed");
    assertThat(stream.result)
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .withMessage("the command was stopped: the receiver of its output failed")
        .withCauseInstanceOf(IllegalStateException.class);
    assertThat(streams.deliver("e-1", List.of(out("c")))).isFalse();
    assertThat(streams.size()).isZero();
  }

  @Test
  void lostOutputFailsTheCommandInsteadOfReportingAHole() {
    ExecStreams.Stream stream = streams.open("e-1", recording);

    stream.finish(exited(List.of(), true));

    assertThat(failureCode(stream)).isEqualTo("output_lost");
  }

  @Test
  void nothingReachesTheListenerAfterTheCommandFailed() {
    ExecStreams.Stream stream = streams.open("e-1", recording);
    stream.fail(new SandboxException("sandbox_lost", "host left", false));

    stream.finish(exited(List.of(out("late")), false));

    assertThat(seen).isEmpty();
    assertThat(failureCode(stream)).isEqualTo("sandbox_lost");
  }

  private static String failureCode(ExecStreams.Stream stream) {
    try {
      stream.result.join();
    } catch (CompletionException e) {
      return ((SandboxException) e.getCause()).code();
    }
    throw new AssertionError("expected the command to fail");
  }
}
