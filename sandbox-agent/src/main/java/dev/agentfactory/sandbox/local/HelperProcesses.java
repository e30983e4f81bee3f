package dev.agentfactory.sandbox.local;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Stopping the pool's long-lived root helpers (the unmount helper, the launch server). */
final class HelperProcesses {

  private HelperProcesses() {}

  /**
   * Closes the helper's input, which tells it to exit, and waits a second for it before killing it.
   */
  static void stop(Closeable input, Process process) {
    try {
      input.close();
    } catch (IOException e) {
      // it is exiting anyway
    }
    try {
      if (!process.waitFor(1, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
