package dev.agentfactory.connectors.dataset.version;

import java.util.List;
import java.util.TreeSet;

/**
 * Where a dataset version's rows came from. Every field but {@code scrubPolicies} may be null.
 *
 * <pre>{@code
 * new Lineage(jobId, checkpointId, null, List.of(), judge.version());
 * }</pre>
 *
 * @param jobId the Flink job id that wrote the files
 * @param checkpointId the last completed checkpoint when the version was cut
 * @param savepointPath a savepoint taken for the cut, instead of or next to the checkpoint
 * @param scrubPolicies the PII scrub policy versions of the rows; a cut replaces them with the
 *     distinct values of the {@code scrub_policy_version} column when the schema has one
 * @param judgeVersion the judge (quality filter) version, if rows were judged
 */
public record Lineage(
    String jobId,
    Long checkpointId,
    String savepointPath,
    List<String> scrubPolicies,
    String judgeVersion) {

  public Lineage {
    // Sorted and distinct, so equal lineage always serialises to identical bytes.
    scrubPolicies = scrubPolicies == null ? List.of() : List.copyOf(new TreeSet<>(scrubPolicies));
  }

  /** No lineage known. */
  public static Lineage unknown() {
    return new Lineage(null, null, null, List.of(), null);
  }

  /** This lineage with the given scrub policies. */
  public Lineage withScrubPolicies(List<String> policies) {
    return new Lineage(jobId, checkpointId, savepointPath, policies, judgeVersion);
  }
}
