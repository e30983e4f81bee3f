package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import java.util.regex.Pattern;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Replaces e-mail addresses in every message content and tool output with {@value #MASK}.
 *
 * <p><b>PLACEHOLDER</b> for the full PII scrubber (names, phone numbers, secrets, addresses,
 * locale-aware detection) of a later issue. It only knows e-mail addresses, by a deliberately
 * simple pattern; rows it produced carry the scrub policy {@value #POLICY} so that datasets can be
 * re-scrubbed or filtered once the real scrubber exists.
 */
public final class EmailMaskFunction implements MapFunction<Interaction, Interaction> {
  private static final long serialVersionUID = 1L;

  /** What an address is replaced with (the Presidio entity name). */
  public static final String MASK = "<EMAIL_ADDRESS>";

  /** The {@code scrub_policy} of rows scrubbed by this function. */
  public static final String POLICY = "email-mask-v0";

  // Local part, @, dot-separated domain labels, a TLD of 2+ letters. Not RFC 5322, on purpose.
  private static final Pattern EMAIL =
      Pattern.compile(
          "[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
              + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,}");

  @Override
  public Interaction map(Interaction event) {
    return event.withRewrittenText(EmailMaskFunction::mask);
  }

  /** The text with every e-mail address replaced by {@value #MASK}. */
  static String mask(String text) {
    if (text.indexOf('@') < 0) {
      return text;
    }
    return EMAIL.matcher(text).replaceAll(MASK);
  }
}
