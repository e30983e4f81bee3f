package dev.agentfactory.edge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.agentfactory.edge.model.ScriptedPolicy;
import dev.agentfactory.sandbox.egress.EgressRule;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AgentSpecCodecTest {

  private final AgentSpecCodec codec = new AgentSpecCodec();

  static final String OPENAI =
      "{\"name\":\"helper\",\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o-mini\","
          + "\"base_url\":\"https://api.openai.com/v1\",\"api_key\":\"env:OPENAI_API_KEY\","
          + "\"parameters\":{\"temperature\":0.2,\"max_tokens\":512}},"
          + "\"system_prompt\":\"be brief\",\"tools\":[\"sandbox.exec\",\"http.fetch\"],"
          + "\"mcp_servers\":[{\"name\":\"docs\",\"url\":\"http://localhost:9000/mcp\"}],"
          + "\"sandbox\":{\"template\":\"shell\"},"
          + "\"limits\":{\"max_turns\":5,\"max_tokens\":1000,\"max_wall_time_ms\":30000}}";

  @Test
  void theBuiltInMathAgentIsScriptedAndUsesPython() {
    AgentSpec math = codec.readResource("agents/math.json");
    assertThat(math.model().provider()).isEqualTo(AgentSpec.Provider.SCRIPTED);
    assertThat(math.model().name()).isEqualTo(ScriptedPolicy.MATH_MODEL);
    assertThat(math.sandboxTemplate()).isEqualTo("python");
    assertThat(math.tools()).containsExactly(BuiltinTool.SANDBOX_EXEC);
    assertThat(math.toolDefinitions().get(0).name()).isEqualTo(ScriptedPolicy.EXEC_TOOL);
  }

  @Test
  void canonicalJsonRoundTripsAndHashesEqually() {
    AgentSpec spec = codec.parseJson(OPENAI);
    AgentSpec again = codec.parseJson(codec.toJson(spec));
    assertThat(again).isEqualTo(spec);
    assertThat(codec.contentHash(again)).isEqualTo(codec.contentHash(spec)).startsWith("sha256:");
    assertThat(codec.toJson(spec)).contains("env:OPENAI_API_KEY");
  }

  @Test
  void yamlReadsTheSameSpec() {
    String yaml =
        """
        name: helper
        model: {provider: openai, name: gpt-4o-mini, base_url: "https://api.openai.com/v1",
                api_key: "env:OPENAI_API_KEY", parameters: {temperature: 0.2, max_tokens: 512}}
        system_prompt: be brief
        tools: [sandbox.exec, http.fetch]
        mcp_servers: [{name: docs, url: "http://localhost:9000/mcp"}]
        sandbox: {template: shell}
        limits: {max_turns: 5, max_tokens: 1000, max_wall_time_ms: 30000}
        """;
    assertThat(codec.parseYaml(yaml)).isEqualTo(codec.parseJson(OPENAI));
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"name\":\"helper\"                              | \"name\":\"Bad Name\"            | name",
        "\"system_prompt\":\"be brief\"                   | \"system_promt\":\"x\"           | system_promt",
        "\"provider\":\"openai\"                          | \"provider\":\"anthropic\"       | model.provider",
        "\"base_url\":\"https://api.openai.com/v1\",      | ''                              | model.base_url",
        "\"env:OPENAI_API_KEY\"                           | \"sk-literal-key\"              | model.api_key",
        "\"temperature\":0.2                              | \"temperature\":3               | model.parameters.temperature",
        "\"max_tokens\":512                               | \"max_tokens\":\"many\"         | model.parameters.max_tokens",
        "\"sandbox.exec\",                                | \"sandbox.rm\",                  | tools[0]",
        "\"name\":\"docs\"                                | \"name\":\"Docs!\"               | mcp_servers[0].name",
        "\"http://localhost:9000/mcp\"                    | \"ftp://x\"                      | mcp_servers[0].url",
        "\"template\":\"shell\"                           | \"template\":\"\"                | sandbox.template",
        "\"max_turns\":5                                  | \"max_turns\":0                  | limits.max_turns",
        "\"max_wall_time_ms\":30000                       | \"max_wall_time_ms\":-1          | limits.max_wall_time_ms",
        "\"https://api.openai.com/v1\"                    | \"https://api.openai.com/v1#frag\" | model.base_url",
        "\"https://api.openai.com/v1\"                    | \"https://api.openai.com/v1#\"  | model.base_url",
      })
  void everyBadFieldIsNamed(String good, String bad, String field) {
    String json = OPENAI.replace(good.strip(), bad.strip());
    assertThat(json).isNotEqualTo(OPENAI);
    AgentException e = catchThrowableOfType(AgentException.class, () -> codec.parseJson(json));
    assertThat(e.code()).isEqualTo(AgentException.Code.INVALID_SPEC);
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.getMessage()).doesNotContain("sk-literal-key");
  }

  @Test
  void credentialsInTheBaseUrlAreRefusedAndNotEchoed() {
    String json =
        OPENAI.replace(
            "\"https://api.openai.com/v1\"", "\"https://me:sk-in-url@api.openai.com/v1#frag\"");
    assertThat(json).isNotEqualTo(OPENAI);

    AgentException e = catchThrowableOfType(AgentException.class, () -> codec.parseJson(json));

    assertThat(e.field()).isEqualTo("model.base_url");
    assertThat(e.getMessage())
        .isEqualTo("model.base_url: must be an http(s) URL without credentials, query or fragment")
        .doesNotContain("sk-in-url");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"name\":\"helper\",                    | name",
        "\"provider\":\"openai\",                | model.provider",
        "\"temperature\":0.2,                    | model.parameters.temperature",
        "\"max_turns\":5,                        | limits.max_turns",
        "\"url\":\"http://localhost:9000/mcp\"}   | mcp_servers[0].url",
      })
  void aFieldGivenTwiceIsRefusedByItsPath(String member, String path) {
    // the same value twice, refused all the same: which of two a reader keeps is up to the reader
    String json = OPENAI.replace(member.strip(), twice(member.strip()));
    assertThat(json).isNotEqualTo(OPENAI);

    AgentException e = catchThrowableOfType(AgentException.class, () -> codec.parseJson(json));

    assertThat(e).as(json).isNotNull();
    assertThat(e.code()).isEqualTo(AgentException.Code.INVALID_SPEC);
    assertThat(e.field()).isEqualTo(path);
    assertThat(e.getMessage()).isEqualTo(path + ": is given more than once");
  }

  /** {@code "a":1,} as {@code "a":1,"a":1,}; {@code "a":1}} as {@code "a":1,"a":1}}. */
  private static String twice(String member) {
    if (member.endsWith("}")) {
      String inner = member.substring(0, member.length() - 1);
      return inner + "," + inner + "}";
    }
    return member + member;
  }

  @Test
  void aFieldGivenTwiceInYamlIsRefusedToo() {
    String yaml =
        """
        name: helper
        model: {provider: scripted, name: scripted/math-v1}
        sandbox: {template: python}
        name: other
        """;
    AgentException e = catchThrowableOfType(AgentException.class, () -> codec.parseYaml(yaml));
    assertThat(e).isNotNull();
    assertThat(e.field()).isEqualTo("name");
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"be brief\"          | \"be \\ud800brief\"        | system_prompt  | \\ud800 at character 3",
        "\"be brief\"          | \"be brief\\udc00\"        | system_prompt  | \\udc00 at character 8",
        "\"be brief\"          | \"\\ude00\\ud83d\"        | system_prompt  | \\ude00 at character 0",
        "\"sandbox.exec\"      | \"sandbox.exec\\ud800\"    | tools[0]       | \\ud800 at character 12",
        "\"system_prompt\"     | \"system_prompt\\ud800\"   | $              | a field name has",
        "\"LOG_LEVEL\"         | \"LOG\\udbff\"             | mcp_servers[0].env | a field name has",
      })
  void aStringWithAnUnpairedSurrogateIsRefused(String good, String bad, String field, String says) {
    String base = field.startsWith("mcp") ? TOOLS : OPENAI;
    String json = base.replace(good.strip(), bad.strip());
    assertThat(json).isNotEqualTo(base);

    AgentException e = catchThrowableOfType(AgentException.class, () -> codec.parseJson(json));

    assertThat(e).as(json).isNotNull();
    assertThat(e.code()).isEqualTo(AgentException.Code.INVALID_SPEC);
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.getMessage()).contains("unpaired UTF-16 surrogate", says.strip());
  }

  @Test
  void aSurrogatePairIsOneCharacterAndAccepted() {
    String json = OPENAI.replace("\"be brief\"", "\"be brief \\ud83d\\ude00\"");
    assertThat(codec.parseJson(json).systemPrompt()).isEqualTo("be brief \uD83D\uDE00");
  }

  @Test
  void aLeadingByteOrderMarkIsIgnored() {
    assertThat(codec.parseJson("\uFEFF" + OPENAI)).isEqualTo(codec.parseJson(OPENAI));
    // only a leading one: elsewhere it is a character like any other
    assertThat(codec.parseJson(OPENAI.replace("be brief", "\uFEFFbe brief")).systemPrompt())
        .isEqualTo("\uFEFFbe brief");
  }

  @Test
  void aStoredVersionWithARepeatedFieldOrAnUnpairedSurrogateStillLoads() {
    // what a node before those checks accepted and stored: its last value won
    String stored =
        OPENAI.replace(
            "\"system_prompt\":\"be brief\"",
            "\"system_prompt\":\"be long\",\"system_prompt\":\"be brief \\ud800\"");
    assertThat(stored).isNotEqualTo(OPENAI);
    assertThat(catchThrowableOfType(AgentException.class, () -> codec.parseJson(stored)))
        .isNotNull();

    AgentSpec loaded = codec.parseStoredJson(stored);

    assertThat(loaded.systemPrompt()).isEqualTo("be brief \uD800");
    assertThat(loaded.name()).isEqualTo("helper");
  }

  @Test
  void aWholeNumberTooLargeForItsFieldIsCalledThatNotAFraction() {
    String json =
        OPENAI.replace("\"max_wall_time_ms\":30000", "\"max_wall_time_ms\":99999999999999");
    assertThat(json).isNotEqualTo(OPENAI);

    AgentException e = catchThrowableOfType(AgentException.class, () -> codec.parseJson(json));

    assertThat(e.field()).isEqualTo("limits.max_wall_time_ms");
    assertThat(e.getMessage())
        .isEqualTo("limits.max_wall_time_ms: is 99999999999999, too large: at most 2147483647");
  }

  @Test
  void scriptedModelsMustBeKnownAndTakeNoUrl() {
    String unknown =
        "{\"name\":\"m\",\"model\":{\"provider\":\"scripted\",\"name\":\"scripted/chess\"},"
            + "\"sandbox\":{\"template\":\"python\"}}";
    assertThat(catchThrowableOfType(AgentException.class, () -> codec.parseJson(unknown)).field())
        .isEqualTo("model.name");
  }

  static final String TOOLS =
      "{\"name\":\"tooled\",\"model\":{\"provider\":\"openai\",\"name\":\"m\","
          + "\"base_url\":\"http://localhost:8000/v1\"},"
          + "\"tools\":[\"files.read\",\"files.write\",\"files.list\",\"http.fetch\"],"
          + "\"mcp_servers\":["
          + "{\"name\":\"local\",\"transport\":\"stdio\",\"command\":[\"python3\",\"server.py\"],"
          + "\"env\":{\"LOG_LEVEL\":\"debug\"}},"
          + "{\"name\":\"remote\",\"transport\":\"http\",\"url\":\"http://localhost:9000/mcp\"}],"
          + "\"sandbox\":{\"template\":\"python\"},"
          + "\"network\":{\"egress\":[{\"host\":\"pypi.org\",\"ports\":[443],\"methods\":[\"CONNECT\"]}]}}";

  @Test
  void theEgressAllowlistBecomesTheLeaseOptions() {
    AgentSpec spec = codec.parseJson(TOOLS);
    assertThat(spec.leaseOptions().egress().rules())
        .containsExactly(EgressRule.of("pypi.org", 443, "CONNECT"));
    assertThat(codec.parseJson(OPENAI).leaseOptions().isEmpty()).isTrue();
  }

  @Test
  void mcpServersAreStdioOrHttpAndRoundTrip() {
    AgentSpec spec = codec.parseJson(TOOLS);
    assertThat(spec.tools())
        .containsExactly(
            BuiltinTool.FILES_READ,
            BuiltinTool.FILES_WRITE,
            BuiltinTool.FILES_LIST,
            BuiltinTool.HTTP_FETCH);
    assertThat(spec.toolDefinitions())
        .extracting(t -> t.name())
        .containsExactly("files_read", "files_write", "files_list", "http_fetch");
    assertThat(spec.mcpServers())
        .containsExactly(
            new AgentSpec.McpServer.Stdio(
                "local", List.of("python3", "server.py"), Map.of("LOG_LEVEL", "debug")),
            new AgentSpec.McpServer.Http("remote", URI.create("http://localhost:9000/mcp")));
    AgentSpec again = codec.parseJson(codec.toJson(spec));
    assertThat(again).isEqualTo(spec);
    assertThat(codec.contentHash(again)).isEqualTo(codec.contentHash(spec));
  }

  @Test
  void theOldFileToolNamesReadAsTheFileTools() {
    String old = OPENAI.replace("\"http.fetch\"", "\"sandbox.read_file\",\"sandbox.write_file\"");
    assertThat(codec.parseJson(old).tools())
        .containsExactly(BuiltinTool.SANDBOX_EXEC, BuiltinTool.FILES_READ, BuiltinTool.FILES_WRITE);
    String twice = OPENAI.replace("\"http.fetch\"", "\"files.read\",\"sandbox.read_file\"");
    assertThat(catchThrowableOfType(AgentException.class, () -> codec.parseJson(twice)).field())
        .isEqualTo("tools");
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"transport\":\"stdio\"            | \"transport\":\"sse\"                 | mcp_servers[0].transport",
        "\"command\":[\"python3\",\"server.py\"] | \"command\":[]                    | mcp_servers[0].command",
        "\"command\":[\"python3\",\"server.py\"] | \"command\":\"python3 server.py\"    | mcp_servers[0].command",
        "\"command\":[\"python3\",\"server.py\"] | \"command\":[\"python3\",7]          | mcp_servers[0].command[1]",
        "\"command\":[\"python3\",\"server.py\"] | \"command\":[\" \"]                 | mcp_servers[0].command[0]",
        "\"command\":[\"python3\",\"server.py\"] | \"url\":\"http://x/mcp\"             | mcp_servers[0].url",
        "\"LOG_LEVEL\":\"debug\"            | \"LOG-LEVEL\":\"debug\"               | mcp_servers[0].env.LOG-LEVEL",
        "\"LOG_LEVEL\":\"debug\"            | \"LOG_LEVEL\":1                      | mcp_servers[0].env.LOG_LEVEL",
        "\"name\":\"remote\"                | \"name\":\"local\"                     | mcp_servers[1].name",
        "\"url\":\"http://localhost:9000/mcp\" | \"command\":[\"x\"]                 | mcp_servers[1].command",
        "\"url\":\"http://localhost:9000/mcp\" | \"uri\":\"http://localhost:9000/mcp\" | mcp_servers[1].uri",
        "\"files.list\",                    | \"files.delete\",                    | tools[2]",
        "\"host\":\"pypi.org\"              | \"host\":7                           | network.egress[0].host",
        "\"ports\":[443]                    | \"ports\":[70000]                    | network.egress[0].ports[0]",
        "\"egress\":[                       | \"egres\":[                          | network.egres",
      })
  void everyBadToolFieldIsNamed(String good, String bad, String field) {
    String json = TOOLS.replace(good.strip(), bad.strip());
    assertThat(json).isNotEqualTo(TOOLS);
    AgentException e = catchThrowableOfType(AgentException.class, () -> codec.parseJson(json));
    assertThat(e).as(json).isNotNull();
    assertThat(e.code()).isEqualTo(AgentException.Code.INVALID_SPEC);
    assertThat(e.field()).isEqualTo(field);
  }
}
