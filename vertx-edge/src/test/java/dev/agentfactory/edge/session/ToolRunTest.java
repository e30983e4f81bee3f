package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.protocol.LoneSurrogates;
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
}
