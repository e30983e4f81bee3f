package dev.agentfactory.edge.health;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Every event the node's log4j configuration lets through to the root logger (after each logger's
 * level and filters), for tests that count what an operator would read.
 */
public final class CapturedLog extends AbstractAppender implements AutoCloseable {

  private final List<LogEvent> events = new CopyOnWriteArrayList<>();
  private final LoggerContext context;
  private final LoggerConfig config;

  private CapturedLog(LoggerContext context, LoggerConfig config) {
    super("captured-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY);
    this.context = context;
    this.config = config;
  }

  public static CapturedLog atRoot() {
    return at("");
  }

  /**
   * Every event the configuration of {@code logger} (its own or the nearest parent's) lets through
   * its level and filters, before the filters of its parents: what a logger writes before the root
   * sees it.
   */
  public static CapturedLog at(String logger) {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    LoggerConfig config = context.getConfiguration().getLoggerConfig(logger);
    CapturedLog log = new CapturedLog(context, config);
    log.start();
    config.addAppender(log, Level.ALL, null);
    context.updateLoggers();
    return log;
  }

  @Override
  public void append(LogEvent event) {
    events.add(event.toImmutable());
  }

  /** The messages of {@code logger} (a name prefix) at {@code level} that contain {@code text}. */
  public List<String> messages(String logger, Level level, String text) {
    return events.stream()
        .filter(e -> e.getLoggerName().startsWith(logger) && e.getLevel().equals(level))
        .map(e -> e.getMessage().getFormattedMessage())
        .filter(m -> m.contains(text))
        .toList();
  }

  @Override
  public void close() {
    config.removeAppender(getName());
    context.updateLoggers();
    stop();
  }
}
