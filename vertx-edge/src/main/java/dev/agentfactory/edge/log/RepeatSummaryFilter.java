package dev.agentfactory.edge.log;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.MarkerManager;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.Node;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.config.plugins.PluginAttribute;
import org.apache.logging.log4j.core.config.plugins.PluginFactory;
import org.apache.logging.log4j.core.filter.AbstractFilter;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.SimpleMessage;

/**
 * Lets the first event of a kind through and holds back its repeats, then says how many there were
 * in one line at most every {@code intervalSeconds}: for third-party clients that warn per attempt
 * while something they need is away (a Kafka client about every second per broker connection).
 *
 * <pre>{@code
 * <Logger name="org.apache.kafka" level="WARN">
 *   <RepeatSummary intervalSeconds="${sys:af.log.repeats.interval.s:-60}"/>
 * </Logger>
 * }</pre>
 *
 * <p>A kind is the logger and the message's shape: its text with every run of digits read as one
 * number, so "Connection to node -1 (localhost/127.0.0.1:9092)" and the same line for node -2 are
 * one kind, a line naming another client (its whole {@code clientId}, digits included), topic or
 * error another. When a repeat comes {@code intervalSeconds} or more after the kind's last line, it
 * is written with {@code (repeated N times in the last S s)} appended, N counting it and the
 * repeats held back since that line, and the next interval starts. Repeats held back after the last
 * such line are not written (the kind has stopped repeating). ERROR and FATAL always pass; {@code
 * intervalSeconds="0"} lets everything pass.
 */
@Plugin(
    name = "RepeatSummary",
    category = Node.CATEGORY,
    elementType = Filter.ELEMENT_TYPE,
    printObject = true)
public final class RepeatSummaryFilter extends AbstractFilter {

  /** Marks the summary lines, which this filter lets through as they are. */
  static final Marker SUMMARY = MarkerManager.getMarker("REPEAT_SUMMARY");

  /** Kinds tracked at most: beyond them, kinds whose interval ended are forgotten, or none held. */
  static final int MAX_KINDS = 1024;

  private static final Pattern DIGITS = Pattern.compile("\\d+");

  /** Kafka's client id in a line's prefix ({@code [Producer clientId=producer-2]}), kept whole. */
  private static final Pattern CLIENT_ID = Pattern.compile("clientId=[^,\\]\\s]+");

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Kind> kinds = new ConcurrentHashMap<>();

  RepeatSummaryFilter(long intervalSeconds, LongSupplier nanoTime) {
    super(Result.NEUTRAL, Result.DENY);
    this.intervalNanos = TimeUnit.SECONDS.toNanos(Math.max(0, intervalSeconds));
    this.nanoTime = nanoTime;
  }

  /** The log4j factory: {@code <RepeatSummary intervalSeconds="60"/>}. */
  @PluginFactory
  public static RepeatSummaryFilter createFilter(
      @PluginAttribute(value = "intervalSeconds", defaultLong = 60) long intervalSeconds) {
    return new RepeatSummaryFilter(intervalSeconds, System::nanoTime);
  }

  /**
   * A line's kind within its logger: every run of digits read as one number, except in a Kafka
   * client id, whose default form differs only by a number ({@code producer-1}, {@code
   * producer-2}): each client's lines stay a kind of their own.
   */
  static String shape(String text) {
    Matcher id = CLIENT_ID.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    while (id.find()) {
      out.append(DIGITS.matcher(text.substring(from, id.start())).replaceAll("#"));
      out.append(id.group());
      from = id.end();
    }
    return out.append(DIGITS.matcher(text.substring(from)).replaceAll("#")).toString();
  }

  @Override
  public Result filter(LogEvent event) {
    if (intervalNanos == 0
        || event.getLevel().isMoreSpecificThan(Level.ERROR)
        || SUMMARY.equals(event.getMarker())) {
      return Result.NEUTRAL;
    }
    String text = event.getMessage().getFormattedMessage();
    String key = event.getLoggerName() + '\n' + shape(text);
    long now = nanoTime.getAsLong();
    Kind kind = kinds.get(key);
    if (kind == null) {
      if (kinds.size() >= MAX_KINDS) {
        kinds.values().removeIf(k -> k.ended(now));
        if (kinds.size() >= MAX_KINDS) {
          return Result.NEUTRAL;
        }
      }
      kind = kinds.computeIfAbsent(key, k -> new Kind());
    }
    Seen seen = kind.seen(now);
    if (seen.heldBack()) {
      return Result.DENY;
    }
    if (seen.repeats() == 0) {
      return Result.NEUTRAL;
    }
    // This event cannot be changed: the summary is a line of its own, from the same logger
    Message summary =
        new SimpleMessage(
            text
                + " (repeated "
                + seen.repeats()
                + " times in the last "
                + TimeUnit.NANOSECONDS.toSeconds(seen.sinceLastLine())
                + " s)");
    LogManager.getLogger(event.getLoggerName())
        .log(event.getLevel(), SUMMARY, summary, event.getThrown());
    return Result.DENY;
  }

  /** What to do with one event: hold it back, or write it with the repeats it stands for. */
  private record Seen(boolean heldBack, long repeats, long sinceLastLine) {
    static final Seen HELD_BACK = new Seen(true, 0, 0);
  }

  /** One kind of line: when its last line was written and how many were held back since. */
  private final class Kind {
    private boolean written;
    private long lineAt;
    private long heldBack;

    synchronized Seen seen(long now) {
      if (written && now - lineAt < intervalNanos) {
        heldBack++;
        return Seen.HELD_BACK;
      }
      Seen seen = new Seen(false, heldBack == 0 ? 0 : heldBack + 1, now - lineAt);
      written = true;
      lineAt = now;
      heldBack = 0;
      return seen;
    }

    synchronized boolean ended(long now) {
      return now - lineAt >= intervalNanos;
    }
  }

  @Override
  public String toString() {
    return "RepeatSummary[intervalSeconds=" + TimeUnit.NANOSECONDS.toSeconds(intervalNanos) + "]";
  }
}
