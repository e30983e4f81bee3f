package dev.agentfactory.edge.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FrameCodecTest {

  private final FrameCodec codec = new FrameCodec();

  @Test
  void execWithCommandRunsThroughTheShell() throws Exception {
    ClientFrame frame = codec.parse("{\"v\":1,\"type\":\"exec\",\"id\":\"c1\",\"command\":\"ls\"}");

    assertThat(frame)
        .isEqualTo(new ClientFrame.Exec("c1", List.of("/bin/sh", "-c", "ls"), Optional.empty()));
  }

  @Test
  void execWithArgvAndTimeoutKeepsBoth() throws Exception {
    ClientFrame frame =
        codec.parse(
            "{\"v\":1,\"type\":\"exec\",\"id\":\"c2\",\"argv\":[\"echo\",\"hi\"],"
                + "\"timeout_ms\":1500,\"extra\":true}");

    assertThat(frame)
        .isEqualTo(
            new ClientFrame.Exec(
                "c2", List.of("echo", "hi"), Optional.of(Duration.ofMillis(1500))));
  }

  @Test
  void pingIsParsed() throws Exception {
    assertThat(codec.parse("{\"v\":1,\"type\":\"ping\",\"id\":\"p\"}"))
        .isEqualTo(new ClientFrame.Ping("p"));
    // whitespace around the object is not content (a client may end its frames with a newline)
    assertThat(codec.parse(" {\"v\":1,\"type\":\"ping\",\"id\":\"p\"}\n"))
        .isEqualTo(new ClientFrame.Ping("p"));
  }

  @Test
  void cancelNamesTheExecOrMessageItStops() throws Exception {
    assertThat(codec.parse("{\"v\":1,\"type\":\"cancel\",\"id\":\"x1\",\"target\":\"c1\"}"))
        .isEqualTo(new ClientFrame.Cancel("x1", "c1"));
  }

  @ParameterizedTest(name = "{0} -> invalid_field on {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"v\":1,\"type\":\"cancel\",\"id\":\"x1\"}                    | target",
        "{\"v\":1,\"type\":\"cancel\",\"id\":\"x1\",\"target\":7}         | target",
        "{\"v\":1,\"type\":\"cancel\",\"id\":\"x1\",\"target\":null}      | target",
        "{\"v\":1,\"type\":\"cancel\",\"id\":\"x1\",\"target\":\"\"}        | target",
        "{\"v\":1,\"type\":\"cancel\",\"id\":\"x1\",\"target\":[\"c1\"]}    | target",
        "{\"v\":1,\"type\":\"cancel\",\"target\":\"c1\"}                 | id",
      })
  void aCancelWithoutAUsableTargetIsAnInvalidFieldNamingIt(String text, String field) {
    FrameException e = catchThrowableOfType(FrameException.class, () -> codec.parse(text));

    assertThat(e).as(text).isNotNull();
    assertThat(e.code()).isEqualTo("invalid_field");
    assertThat(e.field()).isEqualTo(field);
  }

  @Test
  void aCancelTargetLongerThanAnIdCanBeIsRefused() {
    String target = "c".repeat(FrameCodec.MAX_ID_LENGTH + 1);
    FrameException e =
        catchThrowableOfType(
            FrameException.class,
            () ->
                codec.parse(
                    "{\"v\":1,\"type\":\"cancel\",\"id\":\"x1\",\"target\":\"" + target + "\"}"));

    assertThat(e.field()).isEqualTo("target");
    assertThat(e.id()).as("the error names the cancel").isEqualTo("x1");
  }

  @Test
  void cancelAcceptedAndACancelledExitAreEncodedAsDocumented() throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode accepted =
        json.readTree(codec.encode(3, new ServerFrame.CancelAccepted("x1", "c1", "running")));
    JsonNode exit =
        json.readTree(codec.encode(4, new ServerFrame.ExecExit("c1", "cancelled", null, 5, false)));

    assertThat(accepted.get("type").textValue()).isEqualTo("cancel.accepted");
    assertThat(accepted.get("id").textValue()).isEqualTo("x1");
    assertThat(accepted.get("target").textValue()).isEqualTo("c1");
    assertThat(accepted.get("state").textValue()).isEqualTo("running");
    assertThat(exit.get("status").textValue()).isEqualTo("cancelled");
    assertThat(exit.get("exit_code").isNull()).as(exit.toString()).isTrue();
  }

  @ParameterizedTest(name = "{0} -> {1} on {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not json                                                  | malformed_json      |",
        "[1,2]                                                     | malformed_frame     |",
        "{\"type\":\"exec\",\"id\":\"a\",\"command\":\"x\"}                | invalid_field       | v",
        "{\"v\":2,\"type\":\"exec\",\"id\":\"a\",\"command\":\"x\"}          | unsupported_version | v",
        "{\"v\":1,\"id\":\"a\"}                                           | invalid_field       | type",
        "{\"v\":1,\"type\":\"exec\",\"command\":\"x\"}                      | invalid_field       | id",
        "{\"v\":1,\"type\":\"fly\",\"id\":\"a\"}                             | unknown_type        | type",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\"}                            | invalid_field       | command",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"x\",\"argv\":[\"y\"]} | invalid_field | command",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":7}                | invalid_field       | command",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"argv\":[]}                   | invalid_field       | argv",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"argv\":[1]}                  | invalid_field       | argv[0]",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"argv\":[\"echo\",null]}        | invalid_field       | argv[1]",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"x\",\"timeout_ms\":0}  | invalid_field | timeout_ms",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"x\",\"timeout_ms\":1.5} | invalid_field | timeout_ms",
        "{\"v\":1,\"type\":\"exec\",\"id\":5,\"command\":\"x\"}                 | invalid_field       | id",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"echo \\ud800\"}     | invalid_field       | command",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"argv\":[\"echo\",\"\\udc00x\"]}  | invalid_field       | argv[1]",
        // a process argument is a C string: a NUL would end it early
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"echo \\u0000x\"}   | invalid_field       | command",
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"argv\":[\"echo\",\"x\\u0000\"]}  | invalid_field       | argv[1]",
        // readers disagree on which of two values wins: neither is taken
        "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"ls\",\"command\":\"rm x\"} | invalid_field | command",
        "{\"v\":1,\"type\":\"feedback\",\"id\":\"f\",\"turn_id\":\"a\",\"rating\":\"up\",\"rating\":\"down\"} | invalid_field | rating",
        "{\"v\":1,\"v\":1,\"type\":\"ping\",\"id\":\"p\"}                | invalid_field       | v",
        // one frame is one object: what follows it (another frame, stray text) is not ignored
        "{\"v\":1,\"type\":\"ping\",\"id\":\"p\"}{\"v\":1,\"type\":\"ping\",\"id\":\"q\"} | malformed_json |",
        "{\"v\":1,\"type\":\"ping\",\"id\":\"p\"} trailing                 | malformed_json      |",
        // no JSON at all is not JSON (as an empty HTTP body), not a JSON value that is no object
        "''                                                        | malformed_json      |",
        "'   '                                                     | malformed_json      |",
      })
  void badFramesAreRejectedWithACodeAndTheField(String text, String code, String field) {
    FrameException e = catchThrowableOfType(FrameException.class, () -> codec.parse(text));

    assertThat(e).as("parsing %s", text).isNotNull();
    assertThat(e.code()).isEqualTo(code);
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.getMessage()).isNotBlank().doesNotContain("jackson");
  }

  @Test
  void aSurrogatePairIsKeptAndALoneHalfIsRefusedNamingTheField() throws Exception {
    assertThat(
            codec.parse(
                "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"echo \\ud83d\\ude00\"}"))
        .isEqualTo(
            new ClientFrame.Exec(
                "a", List.of("/bin/sh", "-c", "echo \ud83d\ude00"), Optional.empty()));
    FrameException e =
        catchThrowableOfType(
            FrameException.class,
            () ->
                codec.parse(
                    "{\"v\":1,\"type\":\"exec\",\"id\":\"a\",\"command\":\"\\ude00 \\ud83d\"}"));
    assertThat(e.code()).isEqualTo("invalid_field");
    assertThat(e.field()).isEqualTo("command");
    assertThat(e.id()).isEqualTo("a");
    assertThat(e.getMessage()).contains("lone UTF-16 surrogate");
  }

  @Test
  void feedbackCarriesARatingARejectedAlternativeAndAReference() throws Exception {
    ClientFrame frame =
        codec.parse(
            "{\"v\":1,\"type\":\"feedback\",\"id\":\"f1\",\"turn_id\":\"c1\","
                + "\"rating\":\"down\",\"rejected\":\"the other answer\",\"comment\":\"wordy\","
                + "\"reference\":{\"answer\":\"42\",\"verifier\":\"numeric\",\"eval\":true}}");

    ClientFrame.Feedback feedback = (ClientFrame.Feedback) frame;
    assertThat(feedback.turnId()).isEqualTo("c1");
    assertThat(feedback.feedback().orElseThrow().rating())
        .contains(dev.agentfactory.connectors.event.Rating.DOWN);
    assertThat(feedback.feedback().orElseThrow().rejected())
        .containsExactly(dev.agentfactory.connectors.event.Message.assistant("the other answer"));
    assertThat(feedback.feedback().orElseThrow().comment()).contains("wordy");
    assertThat(feedback.reference().orElseThrow().answer()).isEqualTo("42");
    assertThat(feedback.reference().orElseThrow().eval()).isTrue();
  }

  @Test
  void badFeedbackNamesTheField() {
    String head = "{\"v\":1,\"type\":\"feedback\",\"id\":\"f1\",";
    assertField(head + "\"rating\":\"up\"}", "turn_id");
    assertField(head + "\"turn_id\":\"c1\",\"rating\":\"meh\"}", "rating");
    assertField(head + "\"turn_id\":\"c1\"}", "rating");
    assertField(
        head + "\"turn_id\":\"c1\",\"rejected\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "rejected[0].role");
    assertField(
        head + "\"turn_id\":\"c1\",\"reference\":{\"verifier\":\"x\"}}", "reference.answer");
    assertField(
        head + "\"turn_id\":\"c1\",\"reference\":{\"answer\":\"x\",\"eval\":\"yes\"}}",
        "reference.eval");
  }

  private void assertField(String frame, String field) {
    assertThatThrownBy(() -> codec.parse(frame))
        .isInstanceOfSatisfying(
            FrameException.class,
            e -> {
              assertThat(e.code()).isEqualTo("invalid_field");
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.id()).isEqualTo("f1");
            });
  }

  @Test
  void errorsNameTheRequestWhenItsIdWasReadable() {
    assertThatThrownBy(() -> codec.parse("{\"v\":1,\"type\":\"fly\",\"id\":\"req-9\"}"))
        .isInstanceOfSatisfying(
            FrameException.class, e -> assertThat(e.toFrame().id()).isEqualTo("req-9"));
  }

  @Test
  void serverFramesCarryVersionTypeSeqAndSnakeCaseFields() throws Exception {
    String json = codec.encode(7, new ServerFrame.ExecExit("c1", "exited", 3, 12, false));

    JsonNode node = new ObjectMapper().readTree(json);
    assertThat(node.get("v").intValue()).isEqualTo(1);
    assertThat(node.get("type").textValue()).isEqualTo("exec.exit");
    assertThat(node.get("seq").longValue()).isEqualTo(7);
    assertThat(node.get("exit_code").intValue()).isEqualTo(3);
    assertThat(node.get("duration_ms").longValue()).isEqualTo(12);
    assertThat(node.has("exitCode")).isFalse();
  }

  @Test
  void anExitCodeThatDoesNotExistIsSentAsNull() throws Exception {
    JsonNode result =
        new ObjectMapper()
            .readTree(
                codec.encode(
                    1, new ServerFrame.ToolResult("q1", "call_1", "not_run", null, 0, true)));

    assertThat(result.get("exit_code").isNull()).as(result.toString()).isTrue();
  }

  @Test
  void unknownTokenCountsAreSentAsNullNotAsZero() throws Exception {
    JsonNode turn =
        new ObjectMapper()
            .readTree(
                codec.encode(
                    2, new ServerFrame.TurnCompleted("q1", "stop", "m", false, 1, null, null, 12)));

    assertThat(turn.get("prompt_tokens").isNull()).as(turn.toString()).isTrue();
    assertThat(turn.get("completion_tokens").isNull()).as(turn.toString()).isTrue();
  }
}
