package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.dataset.Label;
import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.jobs.label.JudgeRubric;
import dev.agentfactory.jobs.label.JudgeVerdict;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import dev.agentfactory.jobs.label.Sampling;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The judge operator in Flink's async operator, against {@link ChatCompletionsServer}: a local HTTP
 * server that speaks the chat completions protocol and stands in for a hosted LLM.
 */
class JudgeFunctionTest {

  /** The operator's own timeout, driven by the harness's processing-time clock. */
  private static final long OPERATOR_TIMEOUT_MS = 60_000;

  private ChatCompletionsServer llm;

  @BeforeEach
  void start() throws Exception {
    llm = new ChatCompletionsServer();
  }

  @AfterEach
  void stop() {
    llm.close();
  }

  @Test
  void aSampledExampleGetsAVerdictWithModelAndRubricVersionAndAScore() throws Exception {
    llm.answer("Here you go: {\"score\": 4, \"reason\": \"mostly right\"}");
    try (var harness = harness(judge(1.0, 30_000), null)) {
      List<LabeledInteraction> out = judgeAll(harness, labeled(event("what is 2+2?", "4")));

      Label label = judgeLabel(out.get(0));
      assertThat(label.value()).isEqualTo("pass");
      assertThat(label.model()).isEqualTo("judge-model");
      assertThat(label.rubricVersion()).isEqualTo(JudgeRubric.VERSION);
      assertThat(label.degraded()).isFalse();
      assertThat(out.get(0).score(JudgeVerdict.SCORE)).isEqualTo(0.75);
      assertThat(out.get(0).labelValue(RuleLabeler.TASK_SUCCESS)).isEqualTo("success");
      assertThat(llm.lastBody()).contains("\"model\":\"test-judge\"").contains("what is 2+2?");
    }
  }

  @Test
  void aReplayedExampleIsJudgedOnceAndTheCacheSurvivesARestore() throws Exception {
    LabeledInteraction example = labeled(event("list files", "a.txt"));
    OperatorSubtaskState snapshot;
    try (var harness = harness(judge(1.0, 30_000), null)) {
      judgeAll(harness, example);
      List<LabeledInteraction> replay = judgeAll(harness, example);
      assertThat(judgeLabel(replay.get(0)).value()).isEqualTo("pass");
      assertThat(llm.calls()).as("calls after a replay in the same task").isEqualTo(1);
      snapshot = harness.snapshot(1L, 1L);
    }
    try (var restored = harness(judge(1.0, 30_000), snapshot)) {
      List<LabeledInteraction> replay = judgeAll(restored, example);
      assertThat(judgeLabel(replay.get(0)).value()).isEqualTo("pass");
      assertThat(llm.calls()).as("calls after a restore from the checkpoint").isEqualTo(1);
    }
  }

  @Test
  void anHttpTimeoutGivesADegradedLabelNotAFailure() throws Exception {
    llm.delay(3_000);
    try (var harness = harness(judge(1.0, 200), null)) {
      List<LabeledInteraction> out = judgeAll(harness, labeled(event("slow?", "yes")));

      Label label = judgeLabel(out.get(0));
      assertThat(label.degraded()).isTrue();
      assertThat(label.value()).isEqualTo("unknown");
      assertThat(label.model()).isEqualTo("test-judge");
      assertThat(out.get(0).scores()).isEmpty();
    }
  }

  @Test
  void theOperatorTimeoutGivesADegradedLabelToo() throws Exception {
    llm.delay(5_000);
    try (var harness = harness(judge(1.0, 30_000), null)) {
      harness.processElement(new StreamRecord<>(labeled(event("stuck?", "yes")), 1L));
      harness.setProcessingTime(OPERATOR_TIMEOUT_MS + 1);
      harness.endInput();

      List<LabeledInteraction> out = harness.extractOutputValues();
      assertThat(out).hasSize(1);
      assertThat(judgeLabel(out.get(0)).degraded()).isTrue();
    }
  }

  @Test
  void aFailureThatArrivesAfterTheOperatorTimeoutIsNotCountedAgain() throws Exception {
    llm.hold();
    llm.answer("no verdict here");
    JudgeFunction function = new JudgeFunction(judge(1.0, 30_000), 1_000);
    try (InterceptedMetrics metrics = new InterceptedMetrics();
        var harness =
            new OneInputStreamOperatorTestHarness<LabeledInteraction, LabeledInteraction>(
                new AsyncWaitOperatorFactory<>(
                    function, OPERATOR_TIMEOUT_MS, 16, AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(LabeledInteraction.class)
                    .createSerializer(new SerializerConfigImpl()),
                metrics.environment())) {
      harness.open();
      // Called as the async operator calls it: the timeout, then the late answer, on one future.
      CountingResultFuture result = new CountingResultFuture();
      LabeledInteraction example = labeled(event("late?", "yes"));
      function.asyncInvoke(example, result);
      function.timeout(example, result);
      llm.release();
      assertThat(result.completions.await(30, TimeUnit.SECONDS))
          .as("the late (unparsable) answer came back")
          .isTrue();

      assertThat(metrics.counter(JudgeFunction.CALLS_METRIC)).isEqualTo(1);
      assertThat(metrics.counter(JudgeFunction.DEGRADED_METRIC))
          .as("one call, one degraded turn")
          .isEqualTo(1);
    }
  }

  @Test
  void closingTheJudgeCancelsItsCallInFlightAndItsHttpClientStops() throws Exception {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    llm.hold();
    var harness = harness(judge(1.0, 300_000), null);
    harness.processElement(new StreamRecord<>(labeled(event("still there?", "yes")), 1L));
    assertThat(llm.awaitCall(60, TimeUnit.SECONDS)).as("the call in flight").isTrue();
    List<Thread> started =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> !before.contains(t))
            .filter(t -> t.getName().startsWith("HttpClient-") || t.getName().startsWith("judge-"))
            .toList();
    assertThat(started).as("the judge's HTTP threads").isNotEmpty();

    // As a cancelled task, or one that restarts in the same JVM, closes it.
    harness.close();
    harness = null;

    // Its own threads end at once; the JDK client's selector (before Java 21) when the collector
    // takes the closed client, which the call it was waiting for no longer holds.
    Instant deadline = Instant.now().plusSeconds(60);
    for (Thread t : started) {
      while (t.isAlive() && Instant.now().isBefore(deadline)) {
        System.gc();
        t.join(500);
      }
    }
    assertThat(started.stream().filter(Thread::isAlive).map(Thread::getName))
        .as("HTTP threads alive after the judge closed, its call still held by the LLM")
        .isEmpty();
  }

  /** Counts down on every completion, the second included (the async operator ignores it). */
  private static final class CountingResultFuture implements ResultFuture<LabeledInteraction> {
    final CountDownLatch completions = new CountDownLatch(2);

    @Override
    public void complete(Collection<LabeledInteraction> result) {
      completions.countDown();
    }

    @Override
    public void completeExceptionally(Throwable error) {
      completions.countDown();
    }

    @Override
    public void complete(CollectionSupplier<LabeledInteraction> supplier) {
      completions.countDown();
    }
  }

  @Test
  void anUnparsableAnswerGivesADegradedLabel() throws Exception {
    llm.answer("I would rather not grade this.");
    try (var harness = harness(judge(1.0, 30_000), null)) {
      List<LabeledInteraction> out = judgeAll(harness, labeled(event("grade me", "ok")));
      assertThat(judgeLabel(out.get(0)).degraded()).isTrue();
    }
  }

  @Test
  void samplingIsDeterministicByExampleIdAndUnsampledExamplesCostNoCall() throws Exception {
    LabeledInteraction[] examples = new LabeledInteraction[200];
    for (int i = 0; i < examples.length; i++) {
      examples[i] = labeled(event("q" + i, "a" + i));
    }
    try (var harness = harness(judge(0.25, 30_000), null)) {
      List<LabeledInteraction> first = judgeAll(harness, examples);
      long judged = first.stream().filter(e -> e.labels().size() > 5).count();
      assertThat(judged).isBetween(25L, 75L);
      assertThat(llm.calls()).isEqualTo((int) judged);
    }
    try (var again = harness(judge(0.25, 30_000), null)) {
      List<LabeledInteraction> second = judgeAll(again, examples);
      assertThat(second.stream().filter(e -> e.labels().size() > 5).map(e -> e.event().eventId()))
          .as("the same examples are sampled on every run")
          .containsExactlyInAnyOrderElementsOf(
              List.of(examples).stream()
                  .filter(e -> Sampling.sampled(id(e), 0.25))
                  .map(e -> e.event().eventId())
                  .toList());
    }
  }

  @Test
  void anAmendmentIsJudgedExactlyWhenItsTurnIsWhateverItsOwnId() throws Exception {
    double rate = 0.5;
    Interaction judgedTurn = event(idSampled(rate, true, "turn-in"), "rate me", "done");
    Interaction skippedTurn = event(idSampled(rate, false, "turn-out"), "rate me too", "done too");
    // Each amendment's own id falls on the other side of the rate than its turn's.
    Interaction amendsJudged =
        judgedTurn.amendedWith(idSampled(rate, false, "amend-in"), Feedback.rated(Rating.UP), null);
    Interaction amendsSkipped =
        skippedTurn.amendedWith(
            idSampled(rate, true, "amend-out"), Feedback.rated(Rating.UP), null);
    try (var harness = harness(judge(rate, 30_000), null)) {
      // Feedback comes after its turn was judged (or not).
      judgeAll(harness, labeled(judgedTurn), labeled(skippedTurn));
      judgeAll(harness, labeled(amendsJudged), labeled(amendsSkipped));

      List<LabeledInteraction> out = harness.extractOutputValues();
      assertThat(out.stream().filter(e -> hasJudgeLabel(e)).map(e -> e.event().eventId()))
          .as("the judged turn and its amendment, not the other turn's amendment")
          .containsExactlyInAnyOrder(judgedTurn.eventId(), amendsJudged.eventId());
      assertThat(llm.calls())
          .as("the amendment repeats its turn's transcript: a cache hit")
          .isOne();
    }
  }

  @Test
  void offPassesEverythingThroughWithoutCalls() throws Exception {
    try (var harness = harness(JudgeConfig.off(), null)) {
      List<LabeledInteraction> out = judgeAll(harness, labeled(event("hi", "hello")));
      assertThat(out.get(0).labels()).hasSize(5);
      assertThat(llm.calls()).isZero();
    }
  }

  private JudgeConfig judge(double rate, long timeoutMs) {
    return new JudgeConfig(llm.baseUrl(), "test-judge", "AF_TEST_JUDGE_KEY", rate, timeoutMs, 8);
  }

  private static OneInputStreamOperatorTestHarness<LabeledInteraction, LabeledInteraction> harness(
      JudgeConfig config, OperatorSubtaskState restoreFrom) throws Exception {
    var harness =
        new OneInputStreamOperatorTestHarness<LabeledInteraction, LabeledInteraction>(
            new AsyncWaitOperatorFactory<>(
                new JudgeFunction(config, 1_000),
                OPERATOR_TIMEOUT_MS,
                16,
                AsyncDataStream.OutputMode.UNORDERED),
            TypeInformation.of(LabeledInteraction.class)
                .createSerializer(new SerializerConfigImpl()));
    harness.setup();
    if (restoreFrom != null) {
      harness.initializeState(restoreFrom);
    }
    harness.open();
    return harness;
  }

  /** Processes the examples and waits until every answer (or timeout) is in. */
  private static List<LabeledInteraction> judgeAll(
      OneInputStreamOperatorTestHarness<LabeledInteraction, LabeledInteraction> harness,
      LabeledInteraction... examples)
      throws Exception {
    int before = harness.extractOutputValues().size();
    for (LabeledInteraction e : examples) {
      harness.processElement(new StreamRecord<>(e, 1L));
    }
    // endInput waits for the in-flight calls; the operator stays usable for more elements after.
    harness.endInput();
    List<LabeledInteraction> all = harness.extractOutputValues();
    assertThat(all).hasSize(before + examples.length);
    return all.subList(before, all.size());
  }

  private static Label judgeLabel(LabeledInteraction labeled) {
    return labeled.labels().stream()
        .filter(l -> l.name().equals(JudgeVerdict.VERDICT_LABEL))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no judge label in " + labeled.labels()));
  }

  private static boolean hasJudgeLabel(LabeledInteraction labeled) {
    return labeled.labels().stream().anyMatch(l -> l.name().equals(JudgeVerdict.VERDICT_LABEL));
  }

  /** The first of {@code seed-0, seed-1, ...} (as a name-based UUID) in or out of the sample. */
  private static UUID idSampled(double rate, boolean in, String seed) {
    for (int i = 0; ; i++) {
      UUID id = UUID.nameUUIDFromBytes((seed + "-" + i).getBytes(StandardCharsets.UTF_8));
      if (Sampling.sampled(id.toString(), rate) == in) {
        return id;
      }
    }
  }

  private static String id(LabeledInteraction e) {
    return e.event().eventId().toString();
  }

  private static Interaction event(String question, String answer) {
    return event(UUID.randomUUID(), question, answer);
  }

  private static Interaction event(UUID eventId, String question, String answer) {
    return Interaction.builder()
        .eventId(eventId)
        .sessionId("s")
        .tenant("acme")
        .agent("helper", "1.0.0")
        .message(Message.user(question))
        .message(Message.assistant(answer))
        .build();
  }

  private static LabeledInteraction labeled(Interaction event) {
    return new LabeledInteraction(event, RuleLabeler.label(event), List.of());
  }
}
