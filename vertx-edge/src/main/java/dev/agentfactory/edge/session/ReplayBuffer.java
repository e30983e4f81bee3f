package dev.agentfactory.edge.session;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

/**
 * The last frames a session sent, bounded in count and bytes, so a client that reconnects can get
 * exactly the frames it missed. Sequence numbers start at 1 and have no gaps.
 */
final class ReplayBuffer {

  private record Entry(long seq, String text) {}

  private final int maxFrames;
  private final long maxChars;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long chars;
  private long lastSeq;

  ReplayBuffer(int maxFrames, long maxChars) {
    if (maxFrames <= 0 || maxChars <= 0) {
      throw new IllegalArgumentException("replay limits must be positive");
    }
    this.maxFrames = maxFrames;
    this.maxChars = maxChars;
  }

  /** Records the next frame; {@code seq} must follow the previous one. */
  void add(long seq, String text) {
    if (seq != lastSeq + 1) {
      throw new IllegalArgumentException("seq " + seq + " does not follow " + lastSeq);
    }
    lastSeq = seq;
    entries.addLast(new Entry(seq, text));
    chars += text.length();
    while (entries.size() > maxFrames || (chars > maxChars && entries.size() > 1)) {
      chars -= entries.removeFirst().text().length();
    }
  }

  long lastSeq() {
    return lastSeq;
  }

  /**
   * The frames after {@code seenSeq}, in order; empty if the client has seen everything, and {@link
   * Optional#empty()} if some of the frames it missed were already dropped.
   */
  Optional<List<String>> after(long seenSeq) {
    if (seenSeq < 0 || seenSeq > lastSeq) {
      return Optional.empty();
    }
    if (seenSeq == lastSeq) {
      return Optional.of(List.of());
    }
    long oldest = entries.isEmpty() ? lastSeq + 1 : entries.peekFirst().seq();
    if (seenSeq + 1 < oldest) {
      return Optional.empty();
    }
    return Optional.of(entries.stream().filter(e -> e.seq() > seenSeq).map(Entry::text).toList());
  }
}
