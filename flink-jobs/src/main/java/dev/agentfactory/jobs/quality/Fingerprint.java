package dev.agentfactory.jobs.quality;

/**
 * What the deduplication remembers of a kept interaction.
 *
 * @param exactHash the first 64 bits of the SHA-256 of the normalised content
 * @param minHash the {@link MinHash} signature of the word shingles of the content
 * @param nearDuplicateCandidate whether the turn has enough distinct shingles for near-duplicate
 *     detection; short turns are only deduplicated exactly
 */
public record Fingerprint(long exactHash, int[] minHash, boolean nearDuplicateCandidate) {

  /** Whether the shingles behind {@code other} are at least {@code minJaccard} similar to these. */
  public boolean isNear(int[] other, double minJaccard) {
    return nearDuplicateCandidate && MinHash.similarity(minHash, other) >= minJaccard;
  }
}
