package dev.agentfactory.sandbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExecCommandTest {

  @Test
  void aSurrogatePairIsTextAndReachesTheSandboxWhole() {
    ExecCommand exec =
        ExecCommand.parse(
            new JsonObject(
                "{\"argv\":[\"echo\",\"\\ud83d\\ude00\"],\"stdin\":\"\\ud83d\\ude00\"}"));

    assertThat(exec.argv()).containsExactly("echo", "\uD83D\uDE00");
    assertThat(new String(exec.stdin(), StandardCharsets.UTF_8)).isEqualTo("\uD83D\uDE00");
  }

  // Half a UTF-16 pair became '?' on its way to the sandbox: `echo \ud800` printed "?".
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"command\":\"echo \\ud800\"}                  | command",
        "{\"argv\":[\"echo\",\"x\\udc00\"]}              | argv[1]",
        "{\"command\":\"cat\",\"stdin\":\"\\ud800\"}     | stdin",
        "{\"command\":\"env\",\"env\":{\"A\":\"\\udfff\"}} | env['A']",
      })
  void aLoneSurrogateIsRefusedNamingTheField(String body, String field) {
    ApiException e =
        catchThrowableOfType(ApiException.class, () -> ExecCommand.parse(new JsonObject(body)));

    assertThat(e).as("parsing %s", body).isNotNull();
    assertThat(e.code()).isEqualTo("invalid_field");
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.getMessage()).contains("lone UTF-16 surrogate");
  }

  @Test
  void aLeasesFilesAndEnvironmentRefuseALoneSurrogateToo() {
    ApiException e =
        catchThrowableOfType(
            ApiException.class,
            () ->
                LeaseRequest.parse(
                    new JsonObject("{\"template\":\"shell\",\"files\":{\"a.txt\":\"\\ud800\"}}"),
                    Duration.ofHours(1)));

    assertThat(e.field()).isEqualTo("files['a.txt']");
    assertThat(List.of(e.code(), e.status())).containsExactly("invalid_field", 400);
  }
}
