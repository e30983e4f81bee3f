package dev.agentfactory.sandbox.driver;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The {@code vm} isolation level: one microVM per sandbox, with af-init as the guest's PID 1 and
 * its frames over a virtio-vsock or serial port.
 *
 * <p>Not implemented beyond the capability check: {@link #unavailableReason()} says why this host
 * cannot run it, and {@link #launch} refuses. On hosts with a usable {@code /dev/kvm} and a VMM
 * (Firecracker or Cloud Hypervisor) the guest image and boot path are the work left.
 */
public final class VmDriver implements IsolationDriver {

  static final List<String> VMMS = List.of("firecracker", "cloud-hypervisor");

  private final Path kvm;

  public VmDriver(Path kvm) {
    this.kvm = kvm;
  }

  public VmDriver() {
    this(Path.of("/dev/kvm"));
  }

  /** Why sandboxes of this level cannot start here; never empty until guests are implemented. */
  public Optional<String> unavailableReason() {
    if (!Files.exists(kvm)) {
      return Optional.of(kvm + " does not exist: no hardware virtualisation for this host");
    }
    if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
      return Optional.of(kvm + " is not readable and writable by the agent");
    }
    Optional<Path> vmm = findVmm();
    if (vmm.isEmpty()) {
      return Optional.of("no VMM installed (looked for " + VMMS + " on PATH)");
    }
    return Optional.of(
        "guest boot is not implemented yet (found " + vmm.get() + " and " + kvm + ")");
  }

  @Override
  public Isolation isolation() {
    return Isolation.VM;
  }

  @Override
  public boolean usesUidPerSandbox() {
    return true;
  }

  @Override
  public Capabilities capabilities() {
    return unavailableReason()
        .map(Capabilities::none)
        .orElseGet(() -> Capabilities.none("vm isolation is not implemented"));
  }

  @Override
  public Process launch(LaunchSpec spec) throws IOException {
    throw new SandboxException(
        "isolation_unavailable",
        "vm isolation is unavailable: " + unavailableReason().orElse("not implemented"),
        false);
  }

  private static Optional<Path> findVmm() {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      for (String vmm : VMMS) {
        Path p = Path.of(dir.isEmpty() ? "." : dir, vmm);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }
}
