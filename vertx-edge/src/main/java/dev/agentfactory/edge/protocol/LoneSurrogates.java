package dev.agentfactory.edge.protocol;

/**
 * Unpaired UTF-16 surrogates: half a pair, which JSON can escape ({@code "\ud800"}) but no UTF-8
 * text can hold. The session protocol and agent specs refuse text with one, each in its own words.
 *
 * <pre>{@code
 * LoneSurrogates.indexIn("a\ud800b") // 1
 * LoneSurrogates.indexIn("a\ud83d\ude00") // -1: a whole pair
 * }</pre>
 */
public final class LoneSurrogates {

  private LoneSurrogates() {}

  /** The index of the first lone surrogate in {@code text}, or -1 if every one has its pair. */
  public static int indexIn(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Where to end a piece of {@code text} cut at {@code end}: {@code end}, or one character earlier
   * when cutting there would split a surrogate pair, so the piece creates no lone surrogate.
   *
   * <pre>{@code
   * LoneSurrogates.cutPoint("a\ud83d\ude00", 2) // 1: before the pair
   * LoneSurrogates.cutPoint("ab\ud83d\ude00", 2) // 2
   * }</pre>
   */
  public static int cutPoint(String text, int end) {
    return end > 0 && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))
        ? end - 1
        : end;
  }
}
