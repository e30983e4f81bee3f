package dev.agentfactory.edge.health;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Every event the node's log4j configuration lets through to the root logger (after each logger's
 * level and filters), for tests that count what an operator would read.
 */
public final class CapturedLog extends AbstractAppender implements AutoCloseable {

  private final List<LogEvent> events = new CopyOnWriteArrayList<>();
  private final LoggerContext context;

  private CapturedLog(LoggerContext context) {
    super("captured-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY);
    this.context = context;
  }

  public static CapturedLog atRoot() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    CapturedLog log = new CapturedLog(context);
    log.start();
    context.getConfiguration().getRootLogger().addAppender(log, Level.ALL, null);
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
    context.getConfiguration().getRootLogger().removeAppender(getName());
    context.updateLoggers();
    stop();
  }
}
