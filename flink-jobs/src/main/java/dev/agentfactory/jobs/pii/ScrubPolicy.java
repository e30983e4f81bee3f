package dev.agentfactory.jobs.pii;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What to do with each entity type, under a version that datasets record (the {@code scrub_policy}
 * column) so that rows can be re-scrubbed or filtered when the policy changes.
 *
 * <pre>{@code
 * ScrubPolicy policy = ScrubPolicy.maskAll("pii-v1")
 *     .with(EntityType.EMAIL_ADDRESS, ScrubAction.PSEUDONYMISE)
 *     .with(EntityType.DATE_TIME, ScrubAction.KEEP);
 * }</pre>
 *
 * @param version e.g. {@code pii-v1}: lower-case letters, digits, {@code .}, {@code _}, {@code -}
 * @param actions an action for every {@link EntityType}
 */
public record ScrubPolicy(String version, Map<EntityType, ScrubAction> actions)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The version of {@link #defaults()}. */
  public static final String DEFAULT_VERSION = "pii-v1";

  private static final Pattern VERSION = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  public ScrubPolicy {
    if (version == null || !VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException(
          "scrub policy version: must match " + VERSION.pattern() + ", got " + version);
    }
    if (actions == null) {
      throw new IllegalArgumentException("scrub policy actions: must not be null");
    }
    EnumMap<EntityType, ScrubAction> copy = new EnumMap<>(EntityType.class);
    for (Map.Entry<EntityType, ScrubAction> e : actions.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("scrub policy actions: null type or action");
      }
      copy.put(e.getKey(), e.getValue());
    }
    for (EntityType t : EntityType.values()) {
      if (!copy.containsKey(t)) {
        throw new IllegalArgumentException("scrub policy actions: no action for " + t);
      }
    }
    actions = java.util.Collections.unmodifiableMap(copy);
  }

  /** Every type masked. */
  public static ScrubPolicy maskAll(String version) {
    EnumMap<EntityType, ScrubAction> all = new EnumMap<>(EntityType.class);
    for (EntityType t : EntityType.values()) {
      all.put(t, ScrubAction.MASK);
    }
    return new ScrubPolicy(version, all);
  }

  /** The pipeline's policy: mask everything, {@value #DEFAULT_VERSION}. */
  public static ScrubPolicy defaults() {
    return maskAll(DEFAULT_VERSION);
  }

  /** A copy with {@code type} handled by {@code action}. */
  public ScrubPolicy with(EntityType type, ScrubAction action) {
    EnumMap<EntityType, ScrubAction> changed = new EnumMap<>(actions);
    changed.put(type, action);
    return new ScrubPolicy(version, changed);
  }

  public ScrubAction actionFor(EntityType type) {
    return actions.get(type);
  }

  /**
   * True when some action needs a key ({@link ScrubAction#HASH}, {@link ScrubAction#PSEUDONYMISE}).
   */
  public boolean needsKey() {
    return actions.values().stream().anyMatch(ScrubAction::needsKey);
  }
}
