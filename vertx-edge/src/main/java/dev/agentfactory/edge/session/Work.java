package dev.agentfactory.edge.session;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code exec} or {@code message} of a session, from the frame's arrival until its last frame:
 * what a {@code cancel} frame can stop. Waiting in the queue it is dropped and answered by {@link
 * #neverRan}; once started, {@link #cancel} runs what the running work registered to stop itself
 * (kill its command, cut off its model stream), and the work ends through its usual path, which
 * reads {@link #cancelled()}.
 *
 * <p>Confined to the session's context, like the session.
 */
final class Work {

  /** What kind of request it is, as the cancel metrics name it. */
  enum Kind {
    EXEC,
    MESSAGE
  }

  private final String id;
  private final Kind kind;
  private final Runnable neverRan;
  private final List<Runnable> stops = new ArrayList<>();
  private boolean started;
  private boolean cancelled;

  /**
   * @param neverRan sends the work's last frame when it is cancelled before it started
   */
  Work(String id, Kind kind, Runnable neverRan) {
    this.id = id;
    this.kind = kind;
    this.neverRan = neverRan;
  }

  String id() {
    return id;
  }

  Kind kind() {
    return kind;
  }

  boolean started() {
    return started;
  }

  boolean cancelled() {
    return cancelled;
  }

  /**
   * Sends the last frame of work that was cancelled after its turn came but before it started (its
   * sandbox was still being leased or woken): it never ran, as if it had been dropped from the
   * queue.
   */
  void answerNeverRan() {
    neverRan.run();
  }

  /** Its turn in the queue came: from now on a cancel stops it rather than dropping it. */
  void start() {
    started = true;
  }

  /**
   * Registers how to stop what the work runs now (a command, a model stream); run at once if the
   * work is cancelled already. Stopping something that has ended must be harmless: stops are kept
   * until the work ends.
   */
  void onCancel(Runnable stop) {
    if (cancelled) {
      stop.run();
    } else {
      stops.add(stop);
    }
  }

  /**
   * Cancels the work: a waiting one is answered with its last frame here (the caller takes it out
   * of the queue); a running one is told to stop, and answers once it has.
   */
  void cancel() {
    if (cancelled) {
      return;
    }
    cancelled = true;
    if (!started) {
      neverRan.run();
      return;
    }
    for (Runnable stop : List.copyOf(stops)) {
      stop.run();
    }
    stops.clear();
  }
}
