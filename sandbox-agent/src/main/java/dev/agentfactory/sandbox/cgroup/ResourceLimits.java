package dev.agentfactory.sandbox.cgroup;

/**
 * What one sandbox may use. Memory, pids and cpu are enforced by the sandbox's cgroup, the disk cap
 * by a size-capped tmpfs mounted on its workspace.
 *
 * <p>Workspace and {@code /tmp} are tmpfs: what a sandbox writes there is memory and counts against
 * {@code memoryBytes} too, so the disk cap only bounds the workspace within the memory limit.
 *
 * @param memoryBytes memory (RSS + page cache + tmpfs) before the OOM killer acts; swap is not
 *     allowed where the host can say so
 * @param pids processes and threads, together
 * @param cpuMillis cpu time per wall second, in thousandths of a core (1000 = one core)
 * @param diskBytes size cap of the workspace
 */
public record ResourceLimits(long memoryBytes, int pids, int cpuMillis, long diskBytes) {

  public static final ResourceLimits DEFAULT = new ResourceLimits(512L << 20, 256, 1000, 1L << 30);

  public ResourceLimits {
    require(memoryBytes >= 16L << 20, "memory_mb", "must be at least 16");
    require(pids >= 8, "pids", "must be at least 8");
    require(cpuMillis >= 10, "cpu_millis", "must be at least 10");
    require(diskBytes >= 1L << 20, "disk_mb", "must be at least 1");
  }

  private static void require(boolean ok, String field, String message) {
    if (!ok) {
      throw new IllegalArgumentException("limits." + field + " " + message);
    }
  }
}
