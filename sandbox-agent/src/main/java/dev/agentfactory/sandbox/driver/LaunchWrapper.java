package dev.agentfactory.sandbox.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prefixes a sandbox command with af-launch ({@code src/main/c/af-launch.c}), which joins the
 * sandbox's cgroups, opens the seccomp filter as fd {@value #SECCOMP_FD} and, when asked, drops to
 * the sandbox uid, then execs the command: the JVM can do none of that between fork and exec. One
 * exec per sandbox start, none per command.
 */
final class LaunchWrapper {

  static final int SECCOMP_FD = 3;

  private LaunchWrapper() {}

  /**
   * @param dropToUid the uid to become before exec, or -1 to keep the agent's
   */
  static List<String> wrap(LaunchSpec spec, List<String> command, int dropToUid) {
    if (spec.launcher() == null) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of(spec.launcher().toString()));
    for (Path procs : spec.cgroupProcs()) {
      wrapped.addAll(List.of("--cgroup", procs.toString()));
    }
    if (spec.seccomp() != null) {
      wrapped.addAll(List.of("--seccomp", spec.seccomp().toString()));
    }
    if (spec.workspaceBytes() > 0) {
      wrapped.addAll(
          List.of(
              "--workspace",
              spec.workspace().toString(),
              "--size",
              Long.toString(spec.workspaceBytes())));
    }
    if (dropToUid >= 0) {
      wrapped.addAll(List.of("--uid", Integer.toString(dropToUid)));
    }
    wrapped.add("--");
    wrapped.addAll(command);
    return wrapped;
  }
}
