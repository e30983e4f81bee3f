package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxState;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link LocalSandbox} is right now: its state, its current incarnation and whether a
 * hibernation is tearing that down. Written only under the sandbox's lock; read without it, and
 * {@link #isAlive()} tells a torn read from a dead sandbox by a write counter.
 */
final class SandboxStatus {

  private final String id;
  private volatile Incarnation body; // null while creating, hibernated or terminated
  // set while a hibernation tears the archived incarnation down (body already null, state not yet
  // HIBERNATED): the sandbox lives on in its archive, and isAlive() must not read it as dead
  private volatile boolean hibernating;
  // Bumped before and after every write of state, body and hibernating (odd while one is being
  // written). isAlive() reads the three without the lock; a "dead" answer that raced a write (a
  // hibernation ending, a wake) mixes old and new values, and is read again.
  private final AtomicLong writes = new AtomicLong();
  private volatile Incarnation last; // the latest incarnation, for diagnostics after close
  private volatile SandboxState state = SandboxState.CREATING;

  SandboxStatus(String id) {
    this.id = id;
  }

  SandboxState state() {
    return state;
  }

  /** The current incarnation, or null while creating, hibernated or terminated. */
  Incarnation current() {
    return body;
  }

  /** The current incarnation; {@code sandbox_not_running} when there is none. */
  Incarnation running() {
    Incarnation inc = body;
    if (inc == null) {
      throw new SandboxException("sandbox_not_running", "sandbox " + id + " is " + state, false);
    }
    return inc;
  }

  /** The current or, once there is none, the last incarnation. */
  Incarnation latest() {
    Incarnation inc = last;
    if (inc == null) {
      throw new SandboxException("sandbox_not_running", "sandbox " + id + " never ran", false);
    }
    return inc;
  }

  boolean isAlive() {
    for (int attempt = 0; ; attempt++) {
      long before = writes.get();
      SandboxState s = state;
      boolean h = hibernating;
      Incarnation inc = body;
      boolean alive =
          s != SandboxState.TERMINATED
              && (s == SandboxState.HIBERNATED || h || (inc != null && inc.session().isAlive()));
      // "Alive" and "terminated" are answers whatever raced them (TERMINATED is final); "dead" is
      // one only if nothing was written meanwhile: reading the old body, then a hibernation's end
      // (HIBERNATED, not hibernating) or a wake's LEASED before its new body, reads as dead
      if (alive
          || s == SandboxState.TERMINATED
          || ((before & 1) == 0 && writes.get() == before)
          || attempt >= 10_000) {
        return alive;
      }
      Thread.yield(); // a writer is mid-write: it holds no lock a reader needs and is brief
    }
  }

  /** The incarnation a workspace file operation may run against; {@link #stateError()} if none. */
  Incarnation filesIncarnation() {
    Incarnation inc = body;
    if (inc == null || state == SandboxState.HIBERNATED || state == SandboxState.TERMINATED) {
      throw stateError();
    }
    return inc;
  }

  SandboxException stateError() {
    SandboxState s = state;
    if (s == SandboxState.HIBERNATED) {
      return new SandboxException(
          "sandbox_hibernated",
          "sandbox " + id + " is HIBERNATED: its workspace is archived; resume() it first",
          false);
    }
    return new SandboxException("sandbox_not_running", "sandbox " + id + " is " + s, false);
  }

  void require(String operation, SandboxState... allowed) {
    for (SandboxState s : allowed) {
      if (state == s) {
        return;
      }
    }
    throw new SandboxException(
        "invalid_state", "cannot " + operation + " sandbox " + id + " while it is " + state, false);
  }

  void setState(SandboxState to) {
    writes.incrementAndGet();
    state = to;
    writes.incrementAndGet();
  }

  void setBody(Incarnation inc) {
    writes.incrementAndGet();
    body = inc;
    writes.incrementAndGet();
  }

  void setHibernating(boolean on) {
    writes.incrementAndGet();
    hibernating = on;
    writes.incrementAndGet();
  }

  void setLast(Incarnation inc) {
    last = inc;
  }
}
