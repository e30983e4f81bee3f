package dev.agentfactory.jobs.pii;

import java.util.List;

/**
 * A scrubbed text and what was found in it.
 *
 * @param text the text after the policy's actions
 * @param spans the spans, in the offsets of the input
 */
public record ScrubResult(String text, List<ScrubbedSpan> spans) {

  public ScrubResult {
    spans = List.copyOf(spans);
  }
}
