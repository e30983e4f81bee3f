package dev.agentfactory.sandbox.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a CRIU that can checkpoint this kernel is installed. Debian 12's CRIU 3.17 fails on
 * recent kernels (vDSO layout, fixed in 4.1), and no isolation driver here is restorable yet
 * (bubblewrap's namespaces cannot be recreated by CRIU), so hibernation never keeps process state
 * today; this probe is what a future driver would gate on.
 */
public final class CriuProbe {

  private static final Pattern VERSION = Pattern.compile("Version:\\s*(\\d+)\\.(\\d+)");

  private CriuProbe() {}

  /** Empty when a CRIU ≥ 4.1 is on PATH; otherwise why not. */
  public static Optional<String> unusableReason() {
    String out;
    try {
      Process p = new ProcessBuilder("criu", "--version").redirectErrorStream(true).start();
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.of("criu --version did not answer");
      }
    } catch (IOException e) {
      return Optional.of("criu is not installed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while probing criu");
    }
    return versionReason(out);
  }

  static Optional<String> versionReason(String versionOutput) {
    Matcher m = VERSION.matcher(versionOutput);
    if (!m.find()) {
      return Optional.of("cannot read the criu version from: " + versionOutput.strip());
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    if (major < 4 || (major == 4 && minor < 1)) {
      return Optional.of(
          "criu " + major + "." + minor + " is too old (needs >= 4.1 on this kernel)");
    }
    return Optional.empty();
  }
}
