package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.jobs.label.JudgeCache;
import dev.agentfactory.jobs.label.JudgeClient;
import dev.agentfactory.jobs.label.JudgeRubric;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.Sampling;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LLM-as-a-judge through Flink async I/O: run it with {@code AsyncDataStream.unorderedWait(...,
 * config.timeoutMs(), MILLISECONDS, config.maxConcurrent())}.
 *
 * <ul>
 *   <li>Off ({@link JudgeConfig#enabled()} false) or not sampled ({@link Sampling}, by the turn's
 *       event id: an amending event's {@code amends_event_id}): the interaction passes unchanged,
 *       without a call.
 *   <li>A verdict adds a {@code judge_verdict} label (model, rubric version) and a {@code
 *       judge_score} score.
 *   <li>A timeout, an HTTP error or an unparsable answer adds a <em>degraded</em> {@code
 *       judge_verdict} label ({@code unknown}, {@code degraded = true}) and no score: the job never
 *       fails because of the judge.
 *   <li>Verdicts are cached by {@link JudgeRubric#cacheKey} (content hash and judge version) in a
 *       bounded LRU per subtask that is part of the checkpoint (operator list state). A replayed
 *       example whose verdict was cached before the last completed checkpoint costs no call. Calls
 *       made after that checkpoint are not in the restored cache, so a failover can repeat at most
 *       one checkpoint interval of calls.
 * </ul>
 *
 * Counters: {@code judge_calls}, {@code judge_cache_hits}, {@code judge_degraded}. A judge that
 * cannot work says why in the log: a warning at open when the API key variable is unset or empty,
 * and failure reasons (the first, then at most one line a minute with the count since the last).
 */
public final class JudgeFunction extends RichAsyncFunction<LabeledInteraction, LabeledInteraction>
    implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(JudgeFunction.class);

  public static final int DEFAULT_CACHE_CAPACITY = 100_000;

  /** The counter of calls to the judge. */
  public static final String CALLS_METRIC = "judge_calls";

  /** The counter of verdicts taken from the cache. */
  public static final String CACHE_HITS_METRIC = "judge_cache_hits";

  /** The counter of sampled turns that could not be judged. */
  public static final String DEGRADED_METRIC = "judge_degraded";

  private final JudgeConfig config;
  private final int cacheCapacity;

  private transient JudgeClient client;
  private transient JudgeCache cache;
  private transient ListState<String> cacheState;
  private transient String judgeVersion;
  private transient Counter calls;
  private transient Counter hits;
  private transient Counter degraded;
  private transient JudgeFailures failures;

  /**
   * The results of the calls in flight: whichever of the answer and the operator's timeout takes a
   * result out first counts and logs the turn's outcome; the other only completes the result again,
   * which the async operator ignores. Without it, a failure arriving after the timeout counted one
   * turn twice in {@code judge_degraded}.
   */
  private transient Set<ResultFuture<LabeledInteraction>> pending;

  public JudgeFunction(JudgeConfig config) {
    this(config, DEFAULT_CACHE_CAPACITY);
  }

  public JudgeFunction(JudgeConfig config, int cacheCapacity) {
    this.config = config;
    this.cacheCapacity = cacheCapacity;
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    cache = new JudgeCache(cacheCapacity);
    cacheState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("judge-cache", Types.STRING));
    if (context.isRestored()) {
      for (String entry : cacheState.get()) {
        decode(entry, cache);
      }
    }
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    List<String> entries = new ArrayList<>();
    for (Map.Entry<String, JudgeVerdict> e : cache.snapshot()) {
      entries.add(encode(e.getKey(), e.getValue()));
    }
    cacheState.update(entries);
  }

  @Override
  public void open(OpenContext openContext) {
    judgeVersion = JudgeRubric.judgeVersion(config.model());
    calls = getRuntimeContext().getMetricGroup().counter(CALLS_METRIC);
    hits = getRuntimeContext().getMetricGroup().counter(CACHE_HITS_METRIC);
    degraded = getRuntimeContext().getMetricGroup().counter(DEGRADED_METRIC);
    failures = new JudgeFailures(JudgeFailures.DEFAULT_INTERVAL_MILLIS);
    pending = ConcurrentHashMap.newKeySet();
    if (config.enabled()) {
      Optional<String> apiKey =
          Optional.ofNullable(System.getenv(config.apiKeyEnv())).filter(k -> !k.isBlank());
      if (apiKey.isEmpty()) {
        LOG.warn(
            "judge API key variable {} is not set or empty: calls to {} go without an"
                + " authorization header (an endpoint that needs one answers 401 and every"
                + " verdict is degraded)",
            config.apiKeyEnv(),
            config.endpoint());
      }
      client =
          new JudgeClient(
              config.endpoint(), config.model(), apiKey, Duration.ofMillis(config.timeoutMs()));
    }
  }

  /**
   * Releases the HTTP client ({@link JudgeClient#close}): a cancelled or restarted task opens a new
   * one, in the same task manager JVM, and the old one's threads, connections and calls in flight
   * would otherwise live on. The turns of the cancelled calls come again from the checkpoint.
   */
  @Override
  public void close() throws Exception {
    JudgeClient open = client;
    client = null;
    try {
      if (open != null) {
        open.close();
      }
    } finally {
      super.close();
    }
  }

  @Override
  public void asyncInvoke(LabeledInteraction in, ResultFuture<LabeledInteraction> result) {
    // By the turn's id: an amending event repeats its turn's transcript with later feedback, and is
    // judged when its turn is (a cache hit), never when its turn is not.
    String turnId = in.event().amends().orElse(in.event().eventId()).toString();
    if (client == null || !Sampling.sampled(turnId, config.sampleRate())) {
      result.complete(List.of(in));
      return;
    }
    String transcript = JudgeRubric.transcript(in.event());
    String key = JudgeRubric.cacheKey(judgeVersion, transcript);
    JudgeVerdict cached = cache.get(key);
    if (cached != null) {
      hits.inc();
      result.complete(List.of(in.plus(cached.label(), cached.scoreColumn())));
      return;
    }
    calls.inc();
    pending.add(result);
    client
        .judge(transcript)
        .whenComplete(
            (verdict, failure) -> {
              boolean first = pending.remove(result);
              if (failure != null) {
                // After the operator's timeout, the same call's failure was counted there; a call
                // that close() cancelled is no failure of the judge, and nobody waits for it.
                if (first && !(cause(failure) instanceof CancellationException)) {
                  logFailure(failure);
                  degraded.inc();
                }
                result.complete(List.of(withDegradedLabel(in)));
              } else {
                // Also after a timeout already answered: the next replay then hits the cache.
                cache.put(key, verdict);
                result.complete(List.of(in.plus(verdict.label(), verdict.scoreColumn())));
              }
            });
  }

  @Override
  public void timeout(LabeledInteraction in, ResultFuture<LabeledInteraction> result) {
    // Not pending: answered meanwhile, and that answer settles (and counts) the turn.
    if (pending == null || pending.remove(result)) {
      failures
          .onFailure("no verdict within " + config.timeoutMs() + " ms", System.currentTimeMillis())
          .ifPresent(LOG::warn);
      degraded.inc();
    }
    result.complete(List.of(withDegradedLabel(in)));
  }

  private void logFailure(Throwable failure) {
    Throwable cause = cause(failure);
    String reason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
    failures.onFailure(reason, System.currentTimeMillis()).ifPresent(LOG::warn);
  }

  private static Throwable cause(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  private LabeledInteraction withDegradedLabel(LabeledInteraction in) {
    return in.plus(JudgeVerdict.degraded(config.model(), JudgeRubric.VERSION), null);
  }

  static String encode(String key, JudgeVerdict v) {
    return String.join(
        "\t", key, Double.toString(v.score()), v.verdict(), v.model(), v.rubricVersion());
  }

  static void decode(String entry, JudgeCache into) {
    String[] f = entry.split("\t", -1);
    if (f.length == 5) {
      into.put(f[0], new JudgeVerdict(Double.parseDouble(f[1]), f[2], f[3], f[4]));
    }
  }
}
