package dev.agentfactory.sandbox;

/**
 * Where a sandbox is in its life. The usual path is {@code CREATING → READY → LEASED → TERMINATED};
 * a leased sandbox may be {@code PAUSED} (processes frozen, memory kept) or {@code HIBERNATED}
 * (workspace saved, processes and memory released) and resumed from either.
 */
public enum SandboxState {
  /** Being started: isolation set up, af-init not yet ready. */
  CREATING,
  /** Started and checked ready, waiting in the warm pool. */
  READY,
  /** Handed to a caller. */
  LEASED,
  /** Every process frozen in place; resumes in well under a millisecond. */
  PAUSED,
  /**
   * Workspace saved, processes, memory and cgroups released. Resuming starts a fresh sandbox with
   * the saved workspace: process state is not kept (see {@code docs/sandbox.md}).
   */
  HIBERNATED,
  /** Gone: no process, mount, cgroup or workspace is left. */
  TERMINATED
}
