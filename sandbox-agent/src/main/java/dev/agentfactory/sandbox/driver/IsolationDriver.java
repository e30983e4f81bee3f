package dev.agentfactory.sandbox.driver;

import java.io.IOException;

/**
 * Starts af-init inside some form of isolation. The returned process's stdin and stdout are
 * af-init's protocol pipes; killing af-init must end everything inside the sandbox.
 */
public interface IsolationDriver {

  Isolation isolation();

  /** Whether each sandbox should get its own host uid from the configured range. */
  boolean usesUidPerSandbox();

  /**
   * What the driver can do when the host gives it cgroups (and, for the disk cap, root). The pool
   * narrows this to what the host actually offers: {@code LocalSandboxPool#capabilities()}.
   */
  Capabilities capabilities();

  Process launch(LaunchSpec spec) throws IOException;

  /**
   * What {@link #launch} runs, stderr appended to {@link LaunchSpec#log()} and stdin / stdout the
   * protocol channel; null when the driver cannot be started that way.
   */
  default LaunchCommand launchCommand(LaunchSpec spec) {
    return null;
  }
}
