package dev.agentfactory.sandbox.driver;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a driver needs to start one sandbox.
 *
 * @param id the sandbox id
 * @param init the af-init executable on the host
 * @param workspace the sandbox's private host directory, already owned by {@code uid}
 * @param log where the sandbox's own diagnostics (bwrap, af-init stderr) go
 * @param uid the host uid the sandbox runs as
 * @param env environment of the template, on top of the driver's own (PATH, HOME, ...)
 * @param cgroupProcs {@code cgroup.procs} files the launcher joins before it execs the sandbox
 * @param seccomp a compiled seccomp BPF program to load, or null for none
 * @param launcher the af-launch executable that joins the cgroups, opens the filter and drops to
 *     {@code uid}; null to start without it (no cgroups, no filter; setpriv for the uid)
 * @param workspaceBytes when positive, the launcher mounts a tmpfs of this size on {@code
 *     workspace} (owned by {@code uid}) before the sandbox starts: the disk cap
 * @param egressSocket the host path of the unix socket of this sandbox's egress proxy, bound into
 *     the sandbox and relayed from a loopback port; null for no egress at all
 */
public record LaunchSpec(
    String id,
    Path init,
    Path workspace,
    Path log,
    int uid,
    Map<String, String> env,
    List<Path> cgroupProcs,
    Path seccomp,
    Path launcher,
    long workspaceBytes,
    Path egressSocket) {

  public LaunchSpec {
    env = Map.copyOf(env);
    cgroupProcs = List.copyOf(cgroupProcs);
    if (launcher == null && (!cgroupProcs.isEmpty() || seccomp != null || workspaceBytes > 0)) {
      throw new IllegalArgumentException(
          "cgroups, seccomp and the workspace mount need the af-launch launcher");
    }
  }

  /** A sandbox without egress. */
  public LaunchSpec(
      String id,
      Path init,
      Path workspace,
      Path log,
      int uid,
      Map<String, String> env,
      List<Path> cgroupProcs,
      Path seccomp,
      Path launcher,
      long workspaceBytes) {
    this(id, init, workspace, log, uid, env, cgroupProcs, seccomp, launcher, workspaceBytes, null);
  }

  /** A sandbox with no template environment, no cgroup and no seccomp filter. */
  public LaunchSpec(String id, Path init, Path workspace, Path log, int uid) {
    this(id, init, workspace, log, uid, Map.of(), List.of(), null, null, 0, null);
  }
}
