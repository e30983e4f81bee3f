package dev.agentfactory.sandbox.local;

import java.nio.file.Path;
import java.util.UUID;

/**
 * Work dirs for pools under test. They live under the system temp dir, not the checkout: sandbox
 * uids must traverse every parent of a work dir, and a checkout may sit in a private directory (a
 * 0700 mktemp dir, /root) that they cannot enter.
 */
final class ItDirs {

  private ItDirs() {}

  static Path workDir(String prefix) {
    return Path.of(
            System.getProperty("java.io.tmpdir"), "af-it-sandboxes", prefix + UUID.randomUUID())
        .toAbsolutePath();
  }
}
