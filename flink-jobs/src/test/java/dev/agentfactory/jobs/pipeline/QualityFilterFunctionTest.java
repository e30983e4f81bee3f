package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.dataset.Withdrawal;
import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.jobs.quality.DropReason;
import dev.agentfactory.jobs.quality.QualityConfig;
import dev.agentfactory.jobs.quality.QualityDrop;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QualityFilterFunctionTest {

  private InterceptedMetrics metrics;
  private KeyedOneInputStreamOperatorTestHarness<String, Interaction, Interaction> harness;

  @BeforeEach
  void open() throws Exception {
    harness = harness(QualityConfig.defaults());
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
    metrics.close();
  }

  private KeyedOneInputStreamOperatorTestHarness<String, Interaction, Interaction> harness(
      QualityConfig config) throws Exception {
    metrics = new InterceptedMetrics();
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new QualityFilterFunction(config)),
            QualityFilterFunction.KEY,
            Types.STRING,
            metrics.environment());
    h.open();
    return h;
  }

  @Test
  void exactDuplicatesAreDroppedWithinATenantAndAgent() throws Exception {
    process(command("acme", "s1", "echo still here", "still here\n"));
    process(command("acme", "s2", "echo still here", "still here\n"));
    process(command("acme", "s3", "echo  still here", "still here"));
    process(command("acme", "s4", "echo still there", "still there\n"));

    assertThat(kept()).extracting(Interaction::sessionId).containsExactly("s1", "s4");
    assertThat(dropped())
        .extracting(QualityDrop::reason)
        .containsExactly(DropReason.DUPLICATE, DropReason.DUPLICATE);
    assertThat(counter(DropReason.DUPLICATE.metricName())).isEqualTo(2);
    assertThat(counter(QualityFilterFunction.KEPT_METRIC)).isEqualTo(2);
  }

  @Test
  void feedbackAmendingAKeptTurnIsNotADuplicateOfIt() throws Exception {
    Interaction turn = command("acme", "s1", "echo still here", "still here\n");
    Interaction up =
        turn.amendedWith(
            java.util.UUID.randomUUID(),
            dev.agentfactory.connectors.event.Feedback.rated(
                dev.agentfactory.connectors.event.Rating.UP),
            null);
    process(turn);
    process(up);
    process(
        turn.amendedWith(
            java.util.UUID.randomUUID(),
            null,
            dev.agentfactory.connectors.event.Reference.groundTruth("still here", null)));
    process(up); // a retried amendment: the same event id
    process(command("acme", "s2", "echo still here", "still here\n"));

    assertThat(kept()).extracting(Interaction::isAmendment).containsExactly(false, true, true);
    assertThat(dropped())
        .extracting(q -> q.reason() + " " + q.event().isAmendment())
        .containsExactly("DUPLICATE true", "DUPLICATE false");
  }

  @Test
  void aTurnCutShortIsNeitherComparedWithCompleteTurnsNorHidesOne() throws Exception {
    Interaction cut = chat("s1", "count files", TurnOutcome.LIMIT_EXCEEDED);
    process(cut);
    process(chat("s2", "count files", TurnOutcome.COMPLETED)); // its sft row must not be lost
    process(chat("s3", "count files", TurnOutcome.MODEL_ERROR)); // still counted as a turn
    process(cut); // the same event again: a retry

    assertThat(kept()).extracting(Interaction::sessionId).containsExactly("s1", "s2", "s3");
    assertThat(dropped())
        .extracting(q -> q.reason() + " " + q.event().sessionId())
        .containsExactly("DUPLICATE s1");
  }

  @Test
  void aTurnCutShortSurvivesTheShuffleBeforeTheFilter() throws Exception {
    Interaction event = chat("s", "what is 2+2?", TurnOutcome.CANCELLED);
    TypeSerializer<Interaction> serializer =
        TypeInformation.of(Interaction.class)
            .createSerializer(new ExecutionConfig().getSerializerConfig());
    DataOutputSerializer out = new DataOutputSerializer(256);
    serializer.serialize(event, out);
    assertThat(serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())))
        .isEqualTo(event);
  }

  @Test
  void duplicatesAcrossTenantsOrAgentsAreKept() throws Exception {
    process(command("acme", "s1", "echo still here", "still here\n"));
    process(command("globex", "s2", "echo still here", "still here\n"));
    process(
        Interaction.sandboxCommand(
            "acme",
            "s3",
            0,
            "other-agent",
            "1",
            "echo still here",
            "still here\n",
            0,
            Duration.ZERO));

    assertThat(kept()).extracting(Interaction::sessionId).containsExactly("s1", "s2", "s3");
    assertThat(counter(DropReason.DUPLICATE.metricName())).isZero();
  }

  @Test
  void nearDuplicatesOfLongOutputsAreDropped() throws Exception {
    process(command("acme", "s1", "ls -la /srv", listing("15:11")));
    process(command("acme", "s2", "ls -la /srv", listing("15:12")));
    process(command("acme", "s3", "ps aux", processes()));

    assertThat(kept()).extracting(Interaction::sessionId).containsExactly("s1", "s3");
    assertThat(dropped())
        .extracting(QualityDrop::reason)
        .containsExactly(DropReason.NEAR_DUPLICATE);
    assertThat(counter(DropReason.NEAR_DUPLICATE.metricName())).isEqualTo(1);
  }

  @Test
  void contentRuleDropsAreCountedPerReasonAndNotRemembered() throws Exception {
    process(command("acme", "s1", "yes | head -20", "y\n".repeat(20)));
    process(command("acme", "s2", "yes | head -20", "y\n".repeat(20)));
    process(command("acme", "s3", "cat /bin/true", "\u0000\u0001\uFFFD\u0002\u0003"));
    process(Interaction.builder().sessionId("s4").tenant("acme").agent("shell", "1").build());

    assertThat(kept()).isEmpty();
    assertThat(dropped())
        .extracting(QualityDrop::reason)
        .containsExactly(
            DropReason.REPETITION, DropReason.REPETITION, DropReason.GARBAGE, DropReason.EMPTY);
    assertThat(counter(DropReason.REPETITION.metricName())).isEqualTo(2);
    assertThat(counter(DropReason.GARBAGE.metricName())).isEqualTo(1);
    assertThat(counter(DropReason.EMPTY.metricName())).isEqualTo(1);
    assertThat(counter(DropReason.DUPLICATE.metricName())).isZero();
  }

  @Test
  void fingerprintsExpireAfterTheStateTtl() throws Exception {
    harness.setStateTtlProcessingTime(0);
    process(command("acme", "s1", "echo still here", "still here\n"));
    harness.setStateTtlProcessingTime(Duration.ofHours(23).toMillis());
    process(command("acme", "s2", "echo still here", "still here\n"));
    harness.setStateTtlProcessingTime(Duration.ofHours(24).toMillis() + 1);
    process(command("acme", "s3", "echo still here", "still here\n"));

    assertThat(kept()).extracting(Interaction::sessionId).containsExactly("s1", "s3");
  }

  @Test
  void theStateTtlIsTheConfiguredOneAndReadsDoNotExtendIt() {
    StateTtlConfig ttl = QualityFilterFunction.ttl(QualityConfig.defaults());
    assertThat(ttl.isEnabled()).isTrue();
    assertThat(ttl.getTimeToLive()).isEqualTo(Duration.ofHours(24));
    assertThat(ttl.getUpdateType()).isEqualTo(StateTtlConfig.UpdateType.OnCreateAndWrite);
    assertThat(ttl.getStateVisibility())
        .isEqualTo(StateTtlConfig.StateVisibility.NeverReturnExpired);
  }

  @Test
  void theOldestHashIsForgottenWhenTheBoundIsReached() throws Exception {
    harness.close();
    metrics.close();
    harness = harness(QualityConfig.defaults().withState(2, 2, Duration.ofHours(24)));

    process(command("acme", "s1", "echo one", "one\n"));
    process(command("acme", "s2", "echo two", "two\n"));
    process(command("acme", "s3", "echo three", "three\n"));
    process(command("acme", "s4", "echo two", "two\n"));
    process(command("acme", "s5", "echo one", "one\n"));

    assertThat(kept()).extracting(Interaction::sessionId).containsExactly("s1", "s2", "s3", "s5");
  }

  @Test
  void anEvalMarkOnADroppedDuplicateWithdrawsTheKeptTwinAndTheOtherDuplicates() throws Exception {
    Interaction kept = command("acme", "s1", "echo still here", "still here\n");
    Interaction first = command("acme", "s2", "echo still here", "still here\n");
    Interaction second = command("acme", "s3", "echo  still here", "still here");
    Interaction other = command("acme", "s4", "echo still there", "still there\n");
    Interaction mark = evalMark(first);
    process(kept);
    process(first);
    process(second);
    process(other);
    process(mark);

    assertThat(kept()).extracting(Interaction::sessionId).containsExactly("s1", "s4", "s2");
    assertThat(twinWithdrawals())
        .extracting(Withdrawal::exampleId)
        .containsExactlyInAnyOrder(id(kept), id(second));
    assertThat(twinWithdrawals())
        .allSatisfy(
            w -> {
              assertThat(w.withdrawnBy()).isEqualTo(id(mark));
              assertThat(w.reason()).isEqualTo(Withdrawal.EVAL_DUPLICATE);
              assertThat(w.sessionId()).isEqualTo("s2");
              assertThat(w.tenant()).isEqualTo("acme");
            });

    process(evalMark(second)); // the group is marked already: nothing new
    process(mark); // a retried mark is a duplicate amendment
    assertThat(twinWithdrawals()).hasSize(2);
  }

  @Test
  void anEvalMarkOnTheKeptTurnWithdrawsItsDuplicatesBeforeAndAfterIt() throws Exception {
    Interaction kept = command("acme", "s1", "echo still here", "still here\n");
    Interaction before = command("acme", "s2", "echo still here", "still here\n");
    Interaction after = command("acme", "s3", "echo still here", "still here\n");
    Interaction mark = evalMark(kept);
    process(kept);
    process(before);
    process(before.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.UP), null));
    process(mark);
    process(after);

    assertThat(twinWithdrawals())
        .extracting(w -> w.exampleId() + " " + w.withdrawnBy() + " " + w.sessionId())
        .containsExactly(id(before) + " " + id(mark) + " s1", id(after) + " " + id(mark) + " s3");
  }

  @Test
  void aTurnMarkedEvalInItsOwnEventWithdrawsItsLaterDuplicates() throws Exception {
    Interaction kept =
        chat("s1").reference(Reference.evalExample("the finance team", null)).build();
    Interaction duplicate = chat("s2").build();
    process(kept);
    process(duplicate);

    assertThat(twinWithdrawals())
        .extracting(w -> w.exampleId() + " " + w.withdrawnBy())
        .containsExactly(id(duplicate) + " " + id(kept));
  }

  @Test
  void anEvalMarkThatArrivesBeforeItsDuplicateTurnCoversTheGroupWhenTheTurnIsDropped()
      throws Exception {
    Interaction kept = command("acme", "s1", "echo still here", "still here\n");
    Interaction earlier = command("acme", "s2", "echo still here", "still here\n");
    Interaction late = command("acme", "s3", "echo still here", "still here\n");
    Interaction mark = evalMark(late);
    process(kept);
    process(earlier);
    process(mark);
    assertThat(twinWithdrawals()).isEmpty();
    process(late);

    assertThat(twinWithdrawals())
        .extracting(w -> w.exampleId() + " " + w.withdrawnBy())
        .containsExactlyInAnyOrder(id(kept) + " " + id(mark), id(earlier) + " " + id(mark));
  }

  @Test
  void anEvalMarkOnANearDuplicateWithdrawsTheKeptTurn() throws Exception {
    Interaction kept = command("acme", "s1", "ls -la /srv", listing("15:11"));
    Interaction near = command("acme", "s2", "ls -la /srv", listing("15:12"));
    process(kept);
    process(near);
    process(command("acme", "s3", "ps aux", processes()));
    process(evalMark(near));

    assertThat(dropped())
        .extracting(QualityDrop::reason)
        .containsExactly(DropReason.NEAR_DUPLICATE);
    assertThat(twinWithdrawals()).extracting(Withdrawal::exampleId).containsExactly(id(kept));
  }

  @Test
  void aTurnCutShortIsNoTwinSoAnEvalMarkOnItOrItsTwinWithdrawsOnlyWhatItNames() throws Exception {
    Interaction complete = chat("s1", "count files", TurnOutcome.COMPLETED);
    Interaction cut = chat("s2", "count files", TurnOutcome.LIMIT_EXCEEDED);
    process(complete);
    process(cut);
    process(cut); // its retry is dropped, but duplicates no kept turn
    process(evalMark(cut));
    process(evalMark(complete));
    process(chat("s3", "count files", TurnOutcome.CANCELLED));

    assertThat(kept())
        .extracting(Interaction::sessionId)
        .containsExactly("s1", "s2", "s2", "s1", "s3");
    assertThat(dropped())
        .extracting(q -> q.reason() + " " + q.event().sessionId())
        .containsExactly("DUPLICATE s2");
    assertThat(twinWithdrawals()).isEmpty();
  }

  @Test
  void eventsWithoutTwinsWithdrawNothing() throws Exception {
    Interaction alone = command("acme", "s1", "echo still here", "still here\n");
    Interaction otherTenant = command("globex", "s2", "echo still here", "still here\n");
    process(alone);
    process(otherTenant);
    process(evalMark(alone));
    process(evalMark(otherTenant));
    process(alone.amendedWith(UUID.randomUUID(), Feedback.rated(Rating.DOWN), null));

    assertThat(kept()).hasSize(5);
    assertThat(twinWithdrawals()).isEmpty();
  }

  @Test
  void twinsAreForgottenAtTheBoundAndAfterTheStateTtl() throws Exception {
    harness.close();
    metrics.close();
    harness = harness(QualityConfig.defaults().withState(2, 2, Duration.ofHours(24)));
    harness.setStateTtlProcessingTime(0);

    Interaction kept = command("acme", "s1", "echo one", "one\n");
    Interaction forgotten = command("acme", "s2", "echo one", "one\n");
    process(kept);
    process(forgotten);
    process(command("acme", "s3", "echo one", "one\n"));
    process(command("acme", "s4", "echo one", "one\n")); // the third link evicts the first
    process(evalMark(forgotten));
    assertThat(twinWithdrawals()).isEmpty();

    Interaction kept2 = command("acme", "s5", "echo two", "two\n");
    Interaction expired = command("acme", "s6", "echo two", "two\n");
    process(kept2);
    process(expired);
    harness.setStateTtlProcessingTime(Duration.ofHours(24).toMillis() + 1);
    process(evalMark(expired));
    assertThat(twinWithdrawals()).isEmpty();
  }

  @Test
  void interactionsSurviveTheShuffleBeforeTheFilter() throws Exception {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("acme")
            .agent("calc", "1")
            .message(Message.user("what is 2+2?"))
            .message(Message.assistant("4"))
            .model("m")
            .usage(3, 1)
            .build();
    TypeSerializer<Interaction> serializer =
        TypeInformation.of(Interaction.class)
            .createSerializer(new ExecutionConfig().getSerializerConfig());
    DataOutputSerializer out = new DataOutputSerializer(256);
    serializer.serialize(event, out);
    assertThat(serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())))
        .isEqualTo(event);
  }

  private void process(Interaction event) throws Exception {
    harness.processElement(new StreamRecord<>(event, 1L));
  }

  private List<Interaction> kept() {
    return harness.extractOutputValues();
  }

  private List<QualityDrop> dropped() {
    return harness.getSideOutput(QualityFilterFunction.DROPPED).stream()
        .map(StreamRecord::getValue)
        .collect(Collectors.toList());
  }

  private List<Withdrawal> twinWithdrawals() {
    var records = harness.getSideOutput(QualityFilterFunction.EVAL_TWIN_WITHDRAWALS);
    return records == null
        ? List.of()
        : records.stream().map(StreamRecord::getValue).collect(Collectors.toList());
  }

  private static Interaction evalMark(Interaction turn) {
    return turn.amendedWith(UUID.randomUUID(), null, Reference.evalExample("expected", null));
  }

  private static Interaction.Builder chat(String session) {
    return Interaction.builder()
        .sessionId(session)
        .tenant("acme")
        .agent("helper", "1")
        .message(Message.user("who handles billing questions for invoices?"))
        .message(Message.assistant("the finance team"));
  }

  private static String id(Interaction event) {
    return event.eventId().toString();
  }

  private long counter(String name) {
    return metrics.counter(name);
  }

  private static Interaction chat(String session, String question, TurnOutcome outcome) {
    return Interaction.builder()
        .sessionId(session)
        .tenant("acme")
        .agent("calc", "1")
        .message(Message.user(question))
        .message(Message.assistant("let me look at the files in the workspace first"))
        .usage(30, 12)
        .outcome(outcome)
        .build();
  }

  private static Interaction command(String tenant, String session, String command, String out) {
    return Interaction.sandboxCommand(
        tenant, session, 0, "shell", "1", command, out, 0, Duration.ZERO);
  }

  /** A 60-line listing; only the modification time of the last file differs between calls. */
  private static String listing(String lastTime) {
    return IntStream.range(0, 60)
        .mapToObj(
            i ->
                "-rw-r--r-- 1 app app "
                    + (1000 + i * 37)
                    + " Nov 25 "
                    + (i == 59 ? lastTime : "09:" + (10 + i % 50))
                    + " report-"
                    + i
                    + ".csv")
        .collect(Collectors.joining("\n"));
  }

  private static String processes() {
    return IntStream.range(0, 60)
        .mapToObj(i -> "app " + (200 + i) + " 0.0 0.1 java -jar worker-" + i + ".jar --port " + i)
        .collect(Collectors.joining("\n"));
  }
}
