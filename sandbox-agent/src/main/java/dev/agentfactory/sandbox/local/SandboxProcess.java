package dev.agentfactory.sandbox.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/**
 * The outermost host process of a sandbox (bwrap, or af-init for the process driver) and af-init's
 * protocol channel: a child of the JVM ({@link #of(Process)}) or of the pool's launch server
 * ({@link LaunchServer}).
 */
interface SandboxProcess {

  long pid();

  /** af-init's frames. */
  InputStream input();

  /** Frames to af-init. */
  OutputStream output();

  /** False once the process has been reaped. */
  boolean isAlive();

  /** SIGKILL, unless it has already been reaped. */
  void kill();

  /** Waits until the process has been reaped; false on timeout. */
  boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException;

  /** Closes the channel towards af-init (it is dead or being killed). */
  void closeOutput();

  /** Releases the channel from af-init; called by its reader once it has read to the end. */
  void closeInput();

  static SandboxProcess of(Process process) {
    return new SandboxProcess() {
      @Override
      public long pid() {
        return process.pid();
      }

      @Override
      public InputStream input() {
        return process.getInputStream();
      }

      @Override
      public OutputStream output() {
        return process.getOutputStream();
      }

      @Override
      public boolean isAlive() {
        return process.isAlive();
      }

      @Override
      public void kill() {
        process.destroyForcibly();
      }

      @Override
      public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit);
      }

      @Override
      public void closeOutput() {
        try {
          process.getOutputStream().close();
        } catch (IOException e) {
          // The process is dead; a failing close of its pipe changes nothing
        }
      }

      @Override
      public void closeInput() {
        // the JDK closes the pipe when the process is reaped
      }
    };
  }
}
