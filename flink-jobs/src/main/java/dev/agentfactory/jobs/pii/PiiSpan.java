package dev.agentfactory.jobs.pii;

/**
 * A detected span of {@code text}: character offsets, never the value itself.
 *
 * @param type what the span is
 * @param start first character (inclusive)
 * @param end last character (exclusive)
 * @param score confidence in [0, 1]; decides between overlapping detections
 */
public record PiiSpan(EntityType type, int start, int end, double score) {

  public PiiSpan {
    if (type == null) {
      throw new IllegalArgumentException("type: must not be null");
    }
    if (start < 0 || end <= start) {
      throw new IllegalArgumentException("span: need 0 <= start < end, got " + start + ".." + end);
    }
  }

  public int length() {
    return end - start;
  }

  public boolean overlaps(PiiSpan other) {
    return start < other.end && other.start < end;
  }

  PiiSpan shifted(int offset) {
    return new PiiSpan(type, start + offset, end + offset, score);
  }
}
