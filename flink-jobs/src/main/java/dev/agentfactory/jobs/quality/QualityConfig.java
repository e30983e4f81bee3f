package dev.agentfactory.jobs.quality;

import java.io.Serializable;
import java.time.Duration;

/**
 * The thresholds of the quality filter, validated on construction; errors name the property. What
 * each one means is in {@code docs/quality.md}.
 *
 * <pre>{@code
 * QualityConfig strict = QualityConfig.defaults().withMaxContentBytes(256 * 1024);
 * }</pre>
 *
 * @param maxContentBytes UTF-8 bytes of all text of a turn above which it is {@code OVERSIZED}
 * @param garbageMaxShare share of non-printable or replacement characters (of non-whitespace ones)
 *     in any one message or tool output above which the turn is {@code GARBAGE}
 * @param encodingJunkMinShare share of characters in U+FFFD or mojibake pairs from which a turn is
 *     {@code ENCODING_JUNK}
 * @param encodingJunkMinCount occurrences (U+FFFD or mojibake pairs) needed besides the share
 * @param repeatedLineMinLines non-blank lines a text needs before the repeated-line rule applies
 * @param repeatedLineMaxShare share of one line among the non-blank lines from which a text is
 *     {@code REPETITION}
 * @param ngramSize words per n-gram of the repeated n-gram rule
 * @param repeatedNgramMinWords words a text needs before the repeated n-gram rule applies
 * @param repeatedNgramMaxShare share of one n-gram among all n-grams of a text from which it is
 *     {@code REPETITION}
 * @param shingleSize words per shingle of the MinHash
 * @param nearDuplicateMinShingles distinct shingles a turn needs to take part in near-duplicate
 *     detection (short turns only take part in exact deduplication)
 * @param nearDuplicateMinJaccard estimated Jaccard similarity of the shingle sets from which two
 *     turns are near duplicates
 * @param exactHashCapacity exact content hashes remembered per tenant and agent
 * @param minHashCapacity MinHash signatures remembered per tenant and agent
 * @param stateTtl how long a remembered fingerprint lives after it was written
 */
public record QualityConfig(
    long maxContentBytes,
    double garbageMaxShare,
    double encodingJunkMinShare,
    int encodingJunkMinCount,
    int repeatedLineMinLines,
    double repeatedLineMaxShare,
    int ngramSize,
    int repeatedNgramMinWords,
    double repeatedNgramMaxShare,
    int shingleSize,
    int nearDuplicateMinShingles,
    double nearDuplicateMinJaccard,
    int exactHashCapacity,
    int minHashCapacity,
    Duration stateTtl)
    implements Serializable {

  public static final long DEFAULT_MAX_CONTENT_BYTES = 1024 * 1024;

  public QualityConfig {
    positive("max_content_bytes", maxContentBytes);
    share("garbage_max_share", garbageMaxShare);
    share("encoding_junk_min_share", encodingJunkMinShare);
    positive("encoding_junk_min_count", encodingJunkMinCount);
    if (repeatedLineMinLines < 2) {
      throw new IllegalArgumentException("repeated_line_min_lines: must be at least 2");
    }
    share("repeated_line_max_share", repeatedLineMaxShare);
    positive("ngram_size", ngramSize);
    if (repeatedNgramMinWords < ngramSize) {
      throw new IllegalArgumentException("repeated_ngram_min_words: must be at least ngram_size");
    }
    share("repeated_ngram_max_share", repeatedNgramMaxShare);
    positive("shingle_size", shingleSize);
    positive("near_duplicate_min_shingles", nearDuplicateMinShingles);
    share("near_duplicate_min_jaccard", nearDuplicateMinJaccard);
    positive("exact_hash_capacity", exactHashCapacity);
    positive("min_hash_capacity", minHashCapacity);
    if (stateTtl == null || stateTtl.isNegative() || stateTtl.isZero()) {
      throw new IllegalArgumentException("state_ttl: must be positive");
    }
  }

  /** The documented defaults. */
  public static QualityConfig defaults() {
    return new QualityConfig(
        DEFAULT_MAX_CONTENT_BYTES,
        0.5,
        0.02,
        3,
        10,
        0.8,
        3,
        50,
        0.3,
        3,
        8,
        0.8,
        10_000,
        1_000,
        Duration.ofHours(24));
  }

  public QualityConfig withMaxContentBytes(long bytes) {
    return new QualityConfig(
        bytes,
        garbageMaxShare,
        encodingJunkMinShare,
        encodingJunkMinCount,
        repeatedLineMinLines,
        repeatedLineMaxShare,
        ngramSize,
        repeatedNgramMinWords,
        repeatedNgramMaxShare,
        shingleSize,
        nearDuplicateMinShingles,
        nearDuplicateMinJaccard,
        exactHashCapacity,
        minHashCapacity,
        stateTtl);
  }

  /** A copy with other state bounds. */
  public QualityConfig withState(int exactHashes, int minHashes, Duration ttl) {
    return new QualityConfig(
        maxContentBytes,
        garbageMaxShare,
        encodingJunkMinShare,
        encodingJunkMinCount,
        repeatedLineMinLines,
        repeatedLineMaxShare,
        ngramSize,
        repeatedNgramMinWords,
        repeatedNgramMaxShare,
        shingleSize,
        nearDuplicateMinShingles,
        nearDuplicateMinJaccard,
        exactHashes,
        minHashes,
        ttl);
  }

  private static void positive(String property, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(property + ": must be positive but was " + value);
    }
  }

  private static void share(String property, double value) {
    if (!(value > 0 && value <= 1)) {
      throw new IllegalArgumentException(property + ": must be in (0, 1] but was " + value);
    }
  }
}
