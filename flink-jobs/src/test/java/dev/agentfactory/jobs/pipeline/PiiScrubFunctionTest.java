package dev.agentfactory.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.PiiFinding;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import dev.agentfactory.jobs.pii.EntityType;
import dev.agentfactory.jobs.pii.ScrubAction;
import dev.agentfactory.jobs.pii.ScrubPolicy;
import java.util.List;
import java.util.Optional;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class PiiScrubFunctionTest {

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void messagesToolOutputsAndSecretArgumentsAreScrubbed() throws Exception {
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("contact alice@example.com or 4111 1111 1111 1111"))
            .message(Message.assistant("no pii here"))
            .toolCall(
                new ToolCall(
                    "c1",
                    "http.get",
                    "{\"url\":\"https://api.example.com\",\"token\":\"abc\"}",
                    "from 10.1.2.3\n",
                    null,
                    ToolCallStatus.OK,
                    1))
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamMap<>(PiiScrubFunction.masking()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      Interaction scrubbed = harness.extractOutputValues().get(0);

      assertThat(scrubbed.messages())
          .extracting(Message::content)
          .containsExactly("contact <EMAIL_ADDRESS> or <CREDIT_CARD>", "no pii here");
      assertThat(scrubbed.toolCalls().get(0).output()).isEqualTo("from <IP_ADDRESS>\n");
      assertThat(scrubbed.toolCalls().get(0).arguments())
          .isEqualTo("{\"url\":\"<DOMAIN_NAME>\",\"token\":\"<SECRET>\"}");
      assertThat(scrubbed.eventId()).isEqualTo(event.eventId());
      assertThat(scrubbed.piiSpans())
          .extracting(PiiFinding::entityType, PiiFinding::field, PiiFinding::messageIndex)
          .containsExactlyInAnyOrder(
              tuple("EMAIL_ADDRESS", "messages[0].content", 0),
              tuple("CREDIT_CARD", "messages[0].content", 0),
              tuple("IP_ADDRESS", "tool_calls[0].output", null),
              tuple("DOMAIN_NAME", "tool_calls[0].arguments/url", null),
              tuple("SECRET", "tool_calls[0].arguments/token", null));
      PiiFinding email = scrubbed.piiSpans().get(0);
      assertThat(event.messages().get(0).content().substring(email.start(), email.end()))
          .as("offsets are in the original text")
          .isEqualTo("alice@example.com");
      assertThat(email.action()).isEqualTo("MASK");
    }
  }

  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void aToolOutputThatIsJsonIsScannedValueByValue() throws Exception {
    // as `kubectl get deploy -o json` prints a container's env
    String output =
        "{\n  \"env\": [\n    {\"name\": \"DB_PASSWORD\", \"value\": \"hunter2xyz\"}\n  ],\n"
            + "  \"credentials\": {\"user\": \"deploy\", \"pass\": \"p4ssw0rd\"}\n}\n";
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("show the deployment"))
            .toolCall(
                new ToolCall(
                    "c1",
                    "shell",
                    "{\"command\":\"kubectl get deploy\"}",
                    output,
                    null,
                    ToolCallStatus.OK,
                    1))
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamMap<>(PiiScrubFunction.masking()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      Interaction scrubbed = harness.extractOutputValues().get(0);

      assertThat(scrubbed.toolCalls().get(0).output())
          .doesNotContain("hunter2xyz")
          .doesNotContain("p4ssw0rd")
          .doesNotContain("deploy\"");
      assertThat(scrubbed.piiSpans())
          .extracting(PiiFinding::entityType, PiiFinding::field)
          .contains(
              tuple("SECRET", "tool_calls[0].output/env/0/value"),
              tuple("SECRET", "tool_calls[0].output/credentials/pass"));
    }
  }

  /** Tool output goes through {@code PiiModel.TOOL_OUTPUT}, trained to leave such words alone. */
  @Test
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  void aToolOutputsCommandWordsAreNoNamesButItsPeopleAre() throws Exception {
    String build =
        "On branch main\nYour branch is up to date with 'origin/main'.\n\n"
            + "Changes not staged for commit:\n\tmodified:   src/Order.java\n\n"
            + "Untracked files:\n\tnotes.txt\n\n"
            + "> Task :compileJava UP-TO-DATE\n> Task :test FAILED\n";
    String log =
        "commit 4f2a9c1\nAuthor: Priya Raman <priya.raman@example.org>\n\n    Fix totals\n";
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("commit it"))
            .toolCall(new ToolCall("c1", "shell", "{}", build, null, ToolCallStatus.OK, 1))
            .toolCall(new ToolCall("c2", "shell", "{}", log, null, ToolCallStatus.OK, 1))
            .build();

    try (var harness =
        new OneInputStreamOperatorTestHarness<>(new StreamMap<>(PiiScrubFunction.masking()))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      Interaction scrubbed = harness.extractOutputValues().get(0);

      assertThat(scrubbed.toolCalls().get(0).output()).isEqualTo(build);
      assertThat(scrubbed.toolCalls().get(1).output())
          .doesNotContain("Priya")
          .doesNotContain("priya.raman@");
      assertThat(scrubbed.piiSpans())
          .extracting(PiiFinding::entityType, PiiFinding::field)
          .contains(
              tuple("PERSON", "tool_calls[1].output"),
              tuple("EMAIL_ADDRESS", "tool_calls[1].output"))
          .extracting(f -> f.toList().get(1))
          .doesNotContain("tool_calls[0].output");
    }
  }

  @Test
  void theRejectedAlternativeAndTheReferenceAnswerAreScrubbedToo() throws Exception {
    Interaction scrubbed =
        scrubbed(
            PiiScrubFunction.masking(),
            whoAsksTheDesk()
                .feedback(
                    Feedback.preferredOver(List.of(Message.assistant("mail bob@example.org"))))
                .reference(Reference.groundTruth("call 10.0.0.7", null))
                .build());
    assertThat(scrubbed.feedback().orElseThrow().rejected().get(0).content())
        .isEqualTo("mail <EMAIL_ADDRESS>");
    assertThat(scrubbed.reference().orElseThrow().answer()).isEqualTo("call <IP_ADDRESS>");
    assertThat(scrubbed.piiSpans())
        .extracting(PiiFinding::field)
        .containsExactly("feedback.rejected[0].content", "reference.answer");
  }

  @Test
  void theReferenceRubricAndVerifierAreScrubbedSinceTheyBecomeEvalAndRftColumns() throws Exception {
    // A session's user sends the rubric and verifier in a feedback frame like the answer; the eval
    // dataset's rubric and the rft dataset's verifier column are these texts.
    Interaction scrubbed =
        scrubbed(
            PiiScrubFunction.masking(),
            whoAsksTheDesk()
                .reference(
                    new Reference(
                        "the desk",
                        Optional.of("ask bob@example.org"),
                        Optional.of("mail carol@example.net if unsure"),
                        true))
                .build());
    Reference reference = scrubbed.reference().orElseThrow();
    assertThat(reference.rubric()).contains("mail <EMAIL_ADDRESS> if unsure");
    assertThat(reference.verifier()).contains("ask <EMAIL_ADDRESS>");
    assertThat(reference.eval()).isTrue();
    assertThat(scrubbed.piiSpans())
        .extracting(PiiFinding::field)
        .containsExactlyInAnyOrder("reference.verifier", "reference.rubric");
  }

  /** A turn of session s: the user asks who, the assistant says to ask the desk. */
  private static Interaction.Builder whoAsksTheDesk() {
    return Interaction.builder()
        .sessionId("s")
        .tenant("t")
        .agent("a", "1")
        .message(Message.user("who?"))
        .message(Message.assistant("ask the desk"));
  }

  /** What {@code scrub} makes of {@code event}, run as the pipeline runs it. */
  @SuppressWarnings("try") // the harness's close() declares InterruptedException
  private static Interaction scrubbed(PiiScrubFunction scrub, Interaction event) throws Exception {
    try (var harness = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(scrub))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      return harness.extractOutputValues().get(0);
    }
  }

  @Test
  @SuppressWarnings("try")
  void aReferenceAnswerOrCommentThatRedactionEmptiesBecomesAPlaceholderNotAFailure()
      throws Exception {
    PiiScrubFunction redacting =
        new PiiScrubFunction(
            ScrubPolicy.defaults().with(EntityType.EMAIL_ADDRESS, ScrubAction.REDACT), new byte[0]);
    Interaction event =
        Interaction.builder()
            .sessionId("s")
            .tenant("t")
            .agent("a", "1")
            .message(Message.user("whose address?"))
            .message(Message.assistant("alice@example.com"))
            .feedback(Feedback.rated(Rating.UP).withComment("alice@example.com"))
            .reference(Reference.groundTruth("alice@example.com", null))
            .build();
    try (var harness = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(redacting))) {
      harness.open();
      harness.processElement(new StreamRecord<>(event, 1L));
      Interaction scrubbed = harness.extractOutputValues().get(0);
      assertThat(scrubbed.reference().orElseThrow().answer()).isEqualTo("<REDACTED>");
      assertThat(scrubbed.feedback().orElseThrow().comment()).contains("<REDACTED>");
      // a message may be empty: it stays what redaction left
      assertThat(scrubbed.messages().get(1).content()).isEmpty();
    }
  }

  @Test
  void theDefaultPolicyIsVersioned() {
    assertThat(PiiScrubFunction.masking().policy().version()).isEqualTo("pii-v1");
  }
}
