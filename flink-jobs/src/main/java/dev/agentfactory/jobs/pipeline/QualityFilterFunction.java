package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.dataset.Withdrawal;
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
 *       per key and 64,000 int comparisons per kept-so-far turn;
 *   <li>beside each remembered hash and signature, the event id of the turn it came from;
 *   <li>for the last {@link QualityConfig#exactHashCapacity()} turns dropped as duplicates, the
 *       kept turn each duplicated ("twins"), and for the last as many eval marks, which turn or
 *       group of twins they marked.
 * </ul>
 *
 * <p>Each drop increments the counter {@link DropReason#metricName()} in the operator's metric
 * group and goes to the {@link #DROPPED} side output; kept turns increment {@code quality_kept}.
 *
 * <p><b>Eval marks and duplicates.</b> A kept turn and the turns dropped as its duplicates are one
 * group of twins: their content is (nearly) the same. An eval mark ({@code reference.eval}) on any
 * of them makes the content an evaluation example, so none of them may train; but only the named
 * turn is withdrawn by the mark itself ({@link Withdrawal#of}). The filter therefore sends a {@link
 * Withdrawal#EVAL_DUPLICATE} withdrawal of every other turn of the group to {@link
 * #EVAL_TWIN_WITHDRAWALS}: of the kept turn (its own rows), and of the dropped twins (the rows
 * their amendments make), whichever comes first, the mark or the duplicate (docs/quality.md).
 */
public final class QualityFilterFunction
    extends KeyedProcessFunction<String, Interaction, Interaction> {
  private static final long serialVersionUID = 1L;

  /** Dropped interactions with their reason. */
  public static final OutputTag<QualityDrop> DROPPED = new OutputTag<>("quality-dropped") {};

  /**
   * Withdrawals, meant for every training kind, of the twins of a turn marked as an evaluation
   * example: the kept turn a marked duplicate duplicated, and the other duplicates of the group.
   */
  public static final OutputTag<Withdrawal> EVAL_TWIN_WITHDRAWALS =
      new OutputTag<>("quality-eval-twin-withdrawals") {};

  /** Tenant and agent name, the deduplication scope. */
  public static final KeySelector<Interaction, String> KEY = new TenantAgentKey();

  public static final String KEPT_METRIC = "quality_kept";

  private final QualityRules rules;
  private transient ValueState<Long> exactSequence;
  private transient MapState<Long, Long> exactHashes;
  private transient MapState<Integer, Long> exactRing;
  private transient ValueState<Long> minHashSequence;
  private transient MapState<Integer, int[]> minHashes;
  private transient MapState<Integer, String> exactIds;
  private transient MapState<Integer, String> minHashIds;
  private transient BoundedMap twins;
  private transient BoundedMap evalMarks;
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
    // Added after the states above, with their own names: a savepoint without them restores (they
    // start empty, so a fingerprint remembered before knows no turn and links no twin).
    exactIds =
        getRuntimeContext().getMapState(map("quality-exact-ids", Types.INT, Types.STRING, ttl));
    minHashIds =
        getRuntimeContext().getMapState(map("quality-minhash-ids", Types.INT, Types.STRING, ttl));
    int links = rules.config().exactHashCapacity();
    twins =
        new BoundedMap(
            getRuntimeContext().getMapState(map("quality-twins", Types.STRING, Types.STRING, ttl)),
            getRuntimeContext()
                .getMapState(map("quality-twins-ring", Types.INT, Types.STRING, ttl)),
            getRuntimeContext().getState(value("quality-twins-seq", ttl)),
            links);
    evalMarks =
        new BoundedMap(
            getRuntimeContext()
                .getMapState(map("quality-eval-marks", Types.STRING, Types.STRING, ttl)),
            getRuntimeContext()
                .getMapState(map("quality-eval-marks-ring", Types.INT, Types.STRING, ttl)),
            getRuntimeContext().getState(value("quality-eval-marks-seq", ttl)),
            links);

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
    Match duplicate = null;
    if (reason.isEmpty() && (event.isAmendment() || !event.isCompleted())) {
      // Feedback or a reference for a turn kept before repeats that turn on purpose: its content
      // is not compared with the turns'. Only the same amendment again (a retry: the edge derives
      // its event id from the turn and the feedback) is a duplicate. A turn cut short makes no
      // sft row: compared, it would hide a complete turn with the same content, or be hidden by
      // one (and the live evaluation would not count it); only its own event again is dropped.
      fingerprint = new Fingerprint(amendmentHash(event), new int[0], false);
      duplicate = duplicateOf(fingerprint);
    } else if (reason.isEmpty()) {
      fingerprint = rules.fingerprint(event);
      duplicate = duplicateOf(fingerprint);
    }
    if (duplicate != null) {
      reason = Optional.of(duplicate.reason());
    }
    if (reason.isPresent()) {
      dropped.get(reason.get()).inc();
      ctx.output(DROPPED, new QualityDrop(reason.get(), event));
      // Only a turn compared by its content has twins: an amendment or a turn cut short is
      // deduplicated by its own event id, so it is never a kept twin nor a dropped duplicate.
      if (duplicate != null
          && duplicate.keptId() != null
          && !event.isAmendment()
          && event.isCompleted()) {
        twinDropped(event, duplicate.keptId(), ctx);
      }
      return;
    }
    remember(fingerprint, event.eventId().toString());
    kept.inc();
    if (event.isEvalExample()) {
      // The mark itself withdraws the turn it names (Withdrawal.of, downstream); its twins are
      // withdrawn here, where they are known.
      String named = event.amends().orElse(event.eventId()).toString();
      String group = twins.get(named);
      markGroup(group != null ? group : named, event.eventId().toString(), named, event, ctx);
    }
    out.collect(event);
  }

  /** A kept turn an event duplicates, and how; {@code keptId} null if its id is not known. */
  private record Match(DropReason reason, String keptId) {}

  private Match duplicateOf(Fingerprint fingerprint) throws Exception {
    Long seq = exactHashes.get(fingerprint.exactHash());
    if (seq != null) {
      int slot = (int) (seq % rules.config().exactHashCapacity());
      return new Match(DropReason.DUPLICATE, exactIds.get(slot));
    }
    if (fingerprint.nearDuplicateCandidate()) {
      double minJaccard = rules.config().nearDuplicateMinJaccard();
      for (Map.Entry<Integer, int[]> minHash : minHashes.entries()) {
        if (fingerprint.isNear(minHash.getValue(), minJaccard)) {
          return new Match(DropReason.NEAR_DUPLICATE, minHashIds.get(minHash.getKey()));
        }
      }
    }
    return null;
  }

  /**
   * Turn {@code duplicate} was dropped as a twin of kept turn {@code keptId}: remember it, and if
   * the group is marked eval, withdraw it (its amendments' rows); if an eval mark named this turn
   * before it arrived, the mark now covers the group.
   */
  private void twinDropped(Interaction duplicate, String keptId, Context ctx) throws Exception {
    String id = duplicate.eventId().toString();
    twins.putIfAbsent(id, keptId);
    String groupMark = evalMarks.get(keptId);
    if (groupMark != null) {
      ctx.output(EVAL_TWIN_WITHDRAWALS, Withdrawal.evalDuplicate(id, groupMark, duplicate));
      return;
    }
    String ownMark = evalMarks.get(id);
    if (ownMark != null) {
      markGroup(keptId, ownMark, id, duplicate, ctx);
    }
  }

  /**
   * Marks the group of kept turn {@code group} as an evaluation example, once, and withdraws its
   * turns other than {@code named} (which the mark withdraws itself): the kept turn and every
   * duplicate of it remembered so far. Duplicates that come later are withdrawn when they come.
   */
  private void markGroup(String group, String markId, String named, Interaction seen, Context ctx)
      throws Exception {
    if (evalMarks.get(group) != null) {
      return;
    }
    evalMarks.putIfAbsent(group, markId);
    if (!group.equals(named)) {
      ctx.output(EVAL_TWIN_WITHDRAWALS, Withdrawal.evalDuplicate(group, markId, seen));
    }
    // A linear scan of at most exactHashCapacity entries, once per marked group: marks are rare.
    for (Map.Entry<String, String> twin : twins.entries()) {
      if (twin.getValue().equals(group) && !twin.getKey().equals(named)) {
        ctx.output(EVAL_TWIN_WITHDRAWALS, Withdrawal.evalDuplicate(twin.getKey(), markId, seen));
      }
    }
  }

  private void remember(Fingerprint fingerprint, String eventId) throws Exception {
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
    // Written after the hash, so it expires no earlier: a hash that is found has its turn's id.
    exactIds.put(slot, eventId);

    if (fingerprint.nearDuplicateCandidate()) {
      int minHashSlot = (int) (next(minHashSequence) % rules.config().minHashCapacity());
      minHashes.put(minHashSlot, fingerprint.minHash());
      minHashIds.put(minHashSlot, eventId);
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

  /**
   * A map of at most {@code capacity} entries in keyed state: a ring of slots remembers the order
   * of insertion, and the oldest entry is forgotten when its slot is reused. Keys are put once.
   */
  private static final class BoundedMap {
    private final MapState<String, String> map;
    private final MapState<Integer, String> ring;
    private final ValueState<Long> sequence;
    private final int capacity;

    BoundedMap(
        MapState<String, String> map,
        MapState<Integer, String> ring,
        ValueState<Long> sequence,
        int capacity) {
      this.map = map;
      this.ring = ring;
      this.sequence = sequence;
      this.capacity = capacity;
    }

    String get(String key) throws Exception {
      return map.get(key);
    }

    Iterable<Map.Entry<String, String>> entries() throws Exception {
      return map.entries();
    }

    void putIfAbsent(String key, String value) throws Exception {
      if (map.contains(key)) {
        return;
      }
      int slot = (int) (next(sequence) % capacity);
      String evicted = ring.get(slot);
      if (evicted != null) {
        map.remove(evicted);
      }
      // The slot before the entry: when the entry has expired, so has its slot, so a key put again
      // after expiring (in a newer slot) is never evicted through its old one.
      ring.put(slot, key);
      map.put(key, value);
    }
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
