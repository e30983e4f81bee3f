package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.edge.protocol.LoneSurrogates;
import dev.agentfactory.sandbox.SandboxException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ToolRunTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode resultOf(String stdout) throws Exception {
    return JSON.readTree(new ToolRun("exited", 0, stdout, "", 5).resultJson());
  }

  @Test
  void outputWithinTheCapGoesToTheModelWhole() throws Exception {
    String stdout = "a".repeat(ToolRun.MAX_TOOL_OUTPUT_CHARS - 2) + "\ud83d\ude00";

    assertThat(resultOf(stdout).get("stdout").asText()).isEqualTo(stdout);
  }

  @Test
  void longOutputIsCutBeforeASurrogatePairRatherThanInsideIt() throws Exception {
    // the pair straddles the cap: its high half is the cap's last character
    String kept = "a".repeat(ToolRun.MAX_TOOL_OUTPUT_CHARS - 1);
    String stdout = kept + "\ud83d\ude00" + "b".repeat(100);

    String forModel = resultOf(stdout).get("stdout").asText();

    assertThat(LoneSurrogates.indexIn(forModel)).isEqualTo(-1);
    assertThat(forModel).isEqualTo(kept + "\n[truncated]");
  }

  @Test
  void aCommandWhoseRunFailedReadsTheFailuresCodeAsTheOtherToolsDo() throws Exception {
    // a borrowed sandbox's exec fails so: its host left under the command
    SandboxException lost =
        new SandboxException("sandbox_lost", "sandbox sb-1 is lost: its host n2 left", false);

    JsonNode result =
        JSON.readTree(ToolRun.commandFailed(new CompletionException(lost)).resultJson());

    assertThat(result.get("status").asText()).isEqualTo("failed");
    assertThat(result.get("exit_code").isNull()).isTrue();
    assertThat(result.get("stderr").asText())
        .isEqualTo("sandbox_lost: sandbox sb-1 is lost: its host n2 left");
  }

  @Test
  void aCommandForWhichNoSandboxCouldBeLeasedReadsTheLeaseFailuresCode() throws Exception {
    ClusterException conflict =
        new ClusterException("lease.conflict", "sandbox pool busy: try again", true);

    ToolRun run = ToolRun.commandNotLeased(conflict);

    assertThat(run.ran()).isFalse();
    assertThat(JSON.readTree(run.resultJson()).get("stderr").asText())
        .isEqualTo("no sandbox could be leased: lease.conflict: sandbox pool busy: try again");
  }

  @Test
  void anUnexpectedFailureOfACommandNamesNoJavaClass() throws Exception {
    JsonNode result =
        JSON.readTree(
            ToolRun.commandFailed(new CompletionException(new NullPointerException()))
                .resultJson());

    assertThat(result.get("stderr").asText()).isEqualTo("unexpected error (logged by the edge)");
  }
}
