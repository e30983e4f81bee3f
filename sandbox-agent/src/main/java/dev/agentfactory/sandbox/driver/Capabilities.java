package dev.agentfactory.sandbox.driver;

import java.util.List;

/**
 * What sandboxes of one isolation level can do on this host. See the matrix in {@code
 * docs/sandbox.md}.
 *
 * @param pause freeze and thaw in place (cgroup freezer)
 * @param hibernateWorkspace hibernate saving the workspace; resume starts fresh processes
 * @param hibernateProcessState hibernate keeping process state (needs CRIU ≥ 4.1 and a restorable
 *     driver)
 * @param networkPolicies the network policies a template may ask for
 * @param memoryLimit memory cap enforced (cgroup)
 * @param pidsLimit process count cap enforced (cgroup)
 * @param cpuLimit cpu quota enforced (cgroup)
 * @param diskLimit workspace size cap enforced (tmpfs)
 * @param seccomp a syscall filter is applied
 * @param notes why something is missing, for operators; empty when nothing is
 */
public record Capabilities(
    boolean pause,
    boolean hibernateWorkspace,
    boolean hibernateProcessState,
    List<String> networkPolicies,
    boolean memoryLimit,
    boolean pidsLimit,
    boolean cpuLimit,
    boolean diskLimit,
    boolean seccomp,
    List<String> notes) {

  public Capabilities {
    networkPolicies = List.copyOf(networkPolicies);
    notes = List.copyOf(notes);
  }

  /** Nothing at all, e.g. for a level that is unavailable on this host. */
  public static Capabilities none(String why) {
    return new Capabilities(
        false, false, false, List.of(), false, false, false, false, false, List.of(why));
  }
}
