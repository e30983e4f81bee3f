package dev.agentfactory.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastException;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.spi.exception.PartitionMigratingException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.agentfactory.cluster.ClusterException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A Hazelcast failure reaches callers (and through them the model, a client, a log line) as a
 * {@link ClusterException} that names the operation and the problem in words, says whether a retry
 * helps, and keeps the Hazelcast exception only as its cause.
 */
class FailuresTest {

  private static final String OPERATION = "renew of lease l-1";

  static Stream<Arguments> hazelcastFailures() {
    return Stream.of(
        Arguments.of(
            new SplitBrainProtectionException("Split brain protection exception: lease-quorum"),
            "cluster.unavailable",
            true,
            "fewer cluster members are present than the lease quorum needs"),
        Arguments.of(
            new OperationTimeoutException("PutOperation invocation failed to complete"),
            "cluster.unavailable",
            true,
            "the cluster did not answer in time; retrying may succeed"),
        Arguments.of(
            new MemberLeftException("Member [10.0.0.2]:5701 has left cluster!"),
            "cluster.unavailable",
            true,
            "the cluster member it went to left; retrying may succeed"),
        Arguments.of(
            new TargetNotMemberException("Not Member! target: [10.0.0.2]:5701"),
            "cluster.unavailable",
            true,
            "the cluster member it went to left; retrying may succeed"),
        Arguments.of(
            new PartitionMigratingException("Partition is migrating! partitionId: 7"),
            "cluster.unavailable",
            true,
            "the cluster is moving data between its members; retrying may succeed"),
        Arguments.of(
            new HazelcastInstanceNotActiveException("Hazelcast instance is not active!"),
            "cluster.failed",
            false,
            "this node is leaving the cluster; retry on another node"),
        Arguments.of(
            new HazelcastException(
                "com.hazelcast.nio.serialization.HazelcastSerializationException"),
            "cluster.failed",
            false,
            "an unexpected error in the cluster layer; retrying will not help"));
  }

  @ParameterizedTest
  @MethodSource("hazelcastFailures")
  void aHazelcastFailureIsNamedInWordsWithItsCodeAndRetriabilityAndKeptAsTheCause(
      Throwable hazelcast, String code, boolean retriable, String problem) {
    ClusterException failure = Failures.translate(new CompletionException(hazelcast), OPERATION);

    assertThat(failure.code()).isEqualTo(code);
    assertThat(failure.retriable()).isEqualTo(retriable);
    assertThat(failure.getMessage()).startsWith(OPERATION + " failed: ").contains(problem);
    assertThat(failure.getMessage())
        .as("no class name and none of Hazelcast's own wording")
        .doesNotContain("com.hazelcast", "Exception", hazelcast.getMessage());
    assertThat(failure.getCause()).as("the stack stays for the log").isSameAs(hazelcast);
  }

  @Test
  void anUnexpectedFailureOfOurOwnCodeKeepsItsWordsButNotItsClassName() {
    ClusterException failure =
        Failures.translate(
            new CompletionException(new IllegalStateException("no id to grant under")), OPERATION);

    assertThat(failure.code()).isEqualTo("cluster.failed");
    assertThat(failure.retriable()).isFalse();
    assertThat(failure.getMessage())
        .isEqualTo(
            OPERATION
                + " failed: an unexpected error in the cluster layer (no id to grant under);"
                + " retrying will not help");
  }

  @Test
  void aClusterFailureUnderWrappersPassesAsItIs() {
    ClusterException conflict = new ClusterException("lease.conflict", "sandbox s-1 is held", true);

    assertThat(Failures.translate(new ExecutionException(conflict), OPERATION)).isSameAs(conflict);
  }

  @Test
  void aCallThatThrowsBeforeItStartsFailsWithTheProblemInWords() {
    CompletableFuture<Object> call =
        Failures.guarded(
            "lookup of sandbox s-1",
            () -> {
              throw new HazelcastInstanceNotActiveException();
            });

    assertThat(call)
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(ClusterException.class)
        .withMessage(
            "lookup of sandbox s-1 failed: this node is leaving the cluster; retry on another"
                + " node");
  }
}
