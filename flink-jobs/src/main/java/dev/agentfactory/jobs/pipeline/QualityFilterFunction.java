package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.jobs.quality.DropReason;
import dev.agentfactory.jobs.quality.Fingerprint;
import dev.agentfactory.jobs.quality.QualityConfig;
import dev.agentfactory.jobs.quality.QualityDrop;
import dev.agentfactory.jobs.quality.QualityRules;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Drops empty, garbage, encoding-damaged, oversized and repetitive turns ({@link QualityRules}) and
 * exact and near duplicates of turns kept before under the same tenant and agent. Key the input
 * with {@link #KEY}, so deduplication never crosses tenants.
 *
 * <p>State per key, every entry expiring {@link QualityConfig#stateTtl()} after it was written:
 *
 * <ul>
 *   <li>the last {@link QualityConfig#exactHashCapacity()} exact hashes, in a map for lookup plus a
 *       ring of slots that says which hash to forget when a new one comes in;
 *   <li>the last {@link QualityConfig#minHashCapacity()} MinHash signatures (64 ints each) in a
 *       ring of slots, scanned linearly for a near duplicate: at the default 1,000 that is 256 KB
 *       per key and 64,000 int comparisons per kept-so-far turn.
 * </ul>
 *
 * <p>Each drop increments the counter {@link DropReason#metricName()} in the operator's metric
 * group and goes to the {@link #DROPPED} side output; kept turns increment {@code quality_kept}.
 */
public final class QualityFilterFunction
    extends KeyedProcessFunction<String, Interaction, Interaction> {
  private static final long serialVersionUID = 1L;

  /** Dropped interactions with their reason. */
  public static final OutputTag<QualityDrop> DROPPED = new OutputTag<>("quality-dropped") {};

  /** Tenant and agent name, the deduplication scope. */
  public static final KeySelector<Interaction, String> KEY = new TenantAgentKey();

  public static final String KEPT_METRIC = "quality_kept";

  private final QualityRules rules;
  private transient ValueState<Long> exactSequence;
  private transient MapState<Long, Long> exactHashes;
  private transient MapState<Integer, Long> exactRing;
  private transient ValueState<Long> minHashSequence;
  private transient MapState<Integer, int[]> minHashes;
  private transient Map<DropReason, Counter> dropped;
  private transient Counter kept;

  public QualityFilterFunction(QualityConfig config) {
    this.rules = new QualityRules(config);
  }

  /** Every fingerprint lives {@code ttl} after its write; reading it does not extend it. */
  static StateTtlConfig ttl(QualityConfig config) {
    return StateTtlConfig.newBuilder(config.stateTtl())
        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
        .build();
  }

  @Override
  public void open(OpenContext openContext) {
    StateTtlConfig ttl = ttl(rules.config());
    exactSequence = getRuntimeContext().getState(value("quality-exact-seq", ttl));
    exactHashes =
        getRuntimeContext().getMapState(map("quality-exact", Types.LONG, Types.LONG, ttl));
    exactRing =
        getRuntimeContext().getMapState(map("quality-exact-ring", Types.INT, Types.LONG, ttl));
    minHashSequence = getRuntimeContext().getState(value("quality-minhash-seq", ttl));
    minHashes =
        getRuntimeContext()
            .getMapState(
                map(
                    "quality-minhash-ring",
                    Types.INT,
                    PrimitiveArrayTypeInfo.INT_PRIMITIVE_ARRAY_TYPE_INFO,
                    ttl));

    MetricGroup metrics = getRuntimeContext().getMetricGroup();
    dropped = new EnumMap<>(DropReason.class);
    for (DropReason reason : DropReason.values()) {
      dropped.put(reason, metrics.counter(reason.metricName()));
    }
    kept = metrics.counter(KEPT_METRIC);
  }

  @Override
  public void processElement(Interaction event, Context ctx, Collector<Interaction> out)
      throws Exception {
    Optional<DropReason> reason = rules.check(event);
    Fingerprint fingerprint = null;
    if (reason.isEmpty() && (event.isAmendment() || !event.isCompleted())) {
      // Feedback or a reference for a turn kept before repeats that turn on purpose: its content
      // is not compared with the turns'. Only the same amendment again (a retry: the edge derives
      // its event id from the turn and the feedback) is a duplicate. A turn cut short makes no
      // sft row: compared, it would hide a complete turn with the same content, or be hidden by
      // one (and the live evaluation would not count it); only its own event again is dropped.
      fingerprint = new Fingerprint(amendmentHash(event), new int[0], false);
      reason = duplicateOf(fingerprint);
    } else if (reason.isEmpty()) {
      fingerprint = rules.fingerprint(event);
      reason = duplicateOf(fingerprint);
    }
    if (reason.isPresent()) {
      dropped.get(reason.get()).inc();
      ctx.output(DROPPED, new QualityDrop(reason.get(), event));
      return;
    }
    remember(fingerprint);
    kept.inc();
    out.collect(event);
  }

  private Optional<DropReason> duplicateOf(Fingerprint fingerprint) throws Exception {
    if (exactHashes.contains(fingerprint.exactHash())) {
      return Optional.of(DropReason.DUPLICATE);
    }
    if (fingerprint.nearDuplicateCandidate()) {
      double minJaccard = rules.config().nearDuplicateMinJaccard();
      for (int[] minHash : minHashes.values()) {
        if (fingerprint.isNear(minHash, minJaccard)) {
          return Optional.of(DropReason.NEAR_DUPLICATE);
        }
      }
    }
    return Optional.empty();
  }

  private void remember(Fingerprint fingerprint) throws Exception {
    int capacity = rules.config().exactHashCapacity();
    long seq = next(exactSequence);
    int slot = (int) (seq % capacity);
    Long evicted = exactRing.get(slot);
    if (evicted != null) {
      // Forget the hash that held this slot, unless it expired and came back in a newer slot.
      Long evictedSeq = exactHashes.get(evicted);
      if (evictedSeq != null && evictedSeq == seq - capacity) {
        exactHashes.remove(evicted);
      }
    }
    exactRing.put(slot, fingerprint.exactHash());
    exactHashes.put(fingerprint.exactHash(), seq);

    if (fingerprint.nearDuplicateCandidate()) {
      long minHashSlot = next(minHashSequence) % rules.config().minHashCapacity();
      minHashes.put((int) minHashSlot, fingerprint.minHash());
    }
  }

  /**
   * The first 64 bits of SHA-256 over the event id of an amendment or a turn cut short, in a hash
   * domain of its own.
   */
  static long amendmentHash(Interaction event) {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  ("amendment:" + event.eventId())
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.nio.ByteBuffer.wrap(digest).getLong();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }

  /** Returns the current value of a sequence and advances it. */
  private static long next(ValueState<Long> sequence) throws Exception {
    Long current = sequence.value();
    long seq = current == null ? 0 : current;
    sequence.update(seq + 1);
    return seq;
  }

  private static ValueStateDescriptor<Long> value(String name, StateTtlConfig ttl) {
    ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>(name, Types.LONG);
    descriptor.enableTimeToLive(ttl);
    return descriptor;
  }

  private static <K, V> MapStateDescriptor<K, V> map(
      String name, TypeInformation<K> keyType, TypeInformation<V> valueType, StateTtlConfig ttl) {
    MapStateDescriptor<K, V> descriptor = new MapStateDescriptor<>(name, keyType, valueType);
    descriptor.enableTimeToLive(ttl);
    return descriptor;
  }

  /** {@code <tenant length>:<tenant>/<agent>}: unambiguous whatever the names contain. */
  static final class TenantAgentKey implements KeySelector<Interaction, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(Interaction event) {
      return event.tenant().length() + ":" + event.tenant() + "/" + event.agentName();
    }
  }
}
