package dev.agentfactory.edge;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a node was closed, and the hand-over of each component that comes up to the node's {@link
 * AgentFactoryNode#close() close()}, which may run on another thread during start-up (SIGTERM): a
 * component arriving after it is stopped at once instead.
 */
final class StartGuard {

  // the node's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(AgentFactoryNode.class);

  /** The monitor close() holds while it runs. */
  private final Object lock;

  private volatile boolean closed;

  StartGuard(Object lock) {
    this.lock = lock;
  }

  boolean closed() {
    return closed;
  }

  /** Marks the node closed; call holding the lock, from close() only. */
  void markClosed() {
    closed = true;
  }

  /**
   * Publishes a component that has just started, for close() to stop; if close() already ran (a
   * shutdown during start-up) it would never see it, so it is stopped here instead.
   */
  <T extends AutoCloseable> T adopt(T component, Consumer<T> field) {
    synchronized (lock) {
      if (!closed) {
        field.accept(component);
        return component;
      }
    }
    try {
      component.close();
    } catch (Exception e) {
      LOG.warn("closing {} failed", component.getClass().getSimpleName(), e);
    }
    throw new IllegalStateException("the node was closed during start-up");
  }

  void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the node was closed during start-up");
    }
  }
}
