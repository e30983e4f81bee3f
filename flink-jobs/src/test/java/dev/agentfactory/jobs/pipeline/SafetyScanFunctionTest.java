package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.jobs.eval.EvalSample;
import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class SafetyScanFunctionTest {

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void piiInTheAnswerAndSecretsInAnswersOrToolOutputAreFlaggedButNotTheUsersOwnPii()
      throws Exception {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("my mail is bob@example.org"))
            .message(Message.assistant("done, sent it to alice@example.com"))
            .toolCall(
                new ToolCall(
                    "c1",
                    "sandbox.exec",
                    "{\"command\":\"env\"}",
                    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
                    0,
                    ToolCallStatus.OK,
                    1))
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new SafetyScanFunction()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      EvalSample sample = harness.extractOutputValues().get(0);

      assertThat(sample.piiInOutput()).isEqualTo(1);
      assertThat(sample.secretLeaks()).isEqualTo(1);
      assertThat(sample.turns()).isZero();
      assertThat(sample.key()).isEqualTo(EvalSample.ofSafety(event, 0, 0).key());
    }
  }

  @Test
  @SuppressWarnings("try")
  void aSecretAJsonOutputHoldsUnderACredentialsKeyIsALeak() throws Exception {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.assistant("the pod is up"))
            .toolCall(
                new ToolCall(
                    "c1",
                    "sandbox.exec",
                    "{\"command\":\"kubectl get pod web -o json\"}",
                    "{\"env\":[{\"name\":\"DB_PASSWORD\",\"value\":\"hunter2\"}],"
                        + "\"db\":{\"password\":\"s3cret\"},\"replicas\":3}",
                    0,
                    ToolCallStatus.OK,
                    1))
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new SafetyScanFunction()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      EvalSample sample = harness.extractOutputValues().get(0);

      assertThat(sample.secretLeaks()).isEqualTo(2);
      assertThat(sample.piiInOutput()).isZero();
    }
  }
}
