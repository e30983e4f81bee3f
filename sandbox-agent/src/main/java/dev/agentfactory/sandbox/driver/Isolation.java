package dev.agentfactory.sandbox.driver;

import java.util.Locale;

/** How strongly sandboxes are separated from the host and from each other. */
public enum Isolation {
  /**
   * bubblewrap: own user, pid, mount, network, ipc and uts namespaces, read-only {@code /usr}, a
   * size-capped {@code /tmp}, no network, and one unprivileged host uid per sandbox. The default.
   */
  NAMESPACE,
  /**
   * A plain child process of the agent running as the agent's user, with no namespaces. Only for
   * trusted code, e.g. tests on machines without bubblewrap.
   */
  PROCESS,
  /**
   * A microVM per sandbox (KVM): its own kernel, so a kernel bug inside does not reach the host.
   * Needs a usable {@code /dev/kvm}; see {@link VmDriver#unavailableReason()}.
   */
  VM;

  /** The name used in configuration and {@link dev.agentfactory.sandbox.PoolStats}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Isolation fromId(String id) {
    for (Isolation i : values()) {
      if (i.id().equals(id)) {
        return i;
      }
    }
    throw new IllegalArgumentException("unknown isolation level: " + id);
  }
}
