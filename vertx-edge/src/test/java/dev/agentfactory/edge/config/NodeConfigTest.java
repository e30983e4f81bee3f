package dev.agentfactory.edge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.agentfactory.connectors.flink.JudgeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeConfigTest {

  @Test
  void defaultsDescribeTheEmbeddedSingleNode() {
    NodeConfig config = NodeConfig.from(new ConfigSource(Map.of(), Map.of(), Map.of()));

    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.flinkPort()).isEqualTo(8081);
    assertThat(config.kafkaBootstrapServers()).isEmpty();
    assertThat(config.flinkRestUrl()).isEmpty();
    assertThat(config.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
    assertThat(config.sandboxIsolation()).isEqualTo("namespace");
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsProperties() {
    ConfigSource source =
        new ConfigSource(
            ConfigSource.parseFlags(new String[] {"--http.port=9000"}),
            Map.of("AF_HTTP_PORT", "9001", "AF_CLUSTER_PORT", "6000"),
            Map.of("af.http.port", "9002", "af.cluster.port", "6001", "af.sandbox.pool.size", "5"));

    NodeConfig config = NodeConfig.from(source);

    assertThat(config.httpPort()).isEqualTo(9000);
    assertThat(config.cluster().port()).isEqualTo(6000);
    assertThat(config.sandboxPoolSize()).isEqualTo(5);
  }

  @Test
  void theInteractionPublishersBoundsComeFromTheirOptions() {
    ConfigSource source =
        new ConfigSource(
            Map.of("kafka.publish.buffer.events", "50"),
            Map.of("AF_KAFKA_PUBLISH_TIMEOUT_MS", "5000", "AF_SESSION_MAX_UNACKED_EVENTS", "4"),
            Map.of("af.kafka.publish.buffer.bytes", "1048576"));

    NodeConfig config = NodeConfig.from(source);

    assertThat(config.publisher().maxBufferedEvents()).isEqualTo(50);
    assertThat(config.publisher().maxBufferedBytes()).isEqualTo(1_048_576);
    assertThat(config.publisher().deliveryTimeout()).hasMillis(5000);
    assertThat(config.sessionMaxUnackedEvents()).isEqualTo(4);
    NodeConfig defaults = NodeConfig.from(new ConfigSource(Map.of(), Map.of(), Map.of()));
    assertThat(defaults.publisher())
        .isEqualTo(dev.agentfactory.connectors.kafka.PublisherConfig.defaults());
    assertThat(defaults.sessionMaxUnackedEvents()).isEqualTo(64);
  }

  @Test
  void aPublishTimeoutTooShortForTheProducerNamesTheOption() {
    ConfigSource source =
        new ConfigSource(Map.of(), Map.of("AF_KAFKA_PUBLISH_TIMEOUT_MS", "999"), Map.of());

    assertThatThrownBy(() -> NodeConfig.from(source))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.publish.timeout.ms");
  }

  @Test
  void aBlankEnvironmentVariableCountsAsUnsetAsInTheClusterOptions() {
    ConfigSource source =
        new ConfigSource(
            Map.of(),
            Map.of("AF_HTTP_PORT", "", "AF_DATA_DIR", "  ", "AF_CLUSTER_PORT", ""),
            Map.of("af.cluster.port", "6001"));

    NodeConfig config = NodeConfig.from(source);

    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
    assertThat(config.cluster().port()).as("the next source applies").isEqualTo(6001);
  }

  @Test
  void aBlankPropertyCountsAsUnset() {
    ConfigSource source = new ConfigSource(Map.of(), Map.of(), Map.of("af.http.port", " "));

    assertThat(NodeConfig.from(source).httpPort()).isEqualTo(8080);
  }

  @Test
  void emptyMemberEntriesAreIgnored() {
    ConfigSource source =
        new ConfigSource(
            Map.of(), Map.of("AF_CLUSTER_MEMBERS", "10.0.0.2:5701,, 10.0.0.3:5701,"), Map.of());

    assertThat(NodeConfig.from(source).cluster().members())
        .containsExactly("10.0.0.2:5701", "10.0.0.3:5701");
  }

  @Test
  void badValuesNameTheOptionAndWhereTheValueCameFrom() {
    ConfigSource source = new ConfigSource(Map.of(), Map.of("AF_HTTP_PORT", "eighty"), Map.of());

    assertThatThrownBy(() -> NodeConfig.from(source))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port")
        .hasMessageContaining("AF_HTTP_PORT")
        .hasMessageContaining("eighty");
  }

  @Test
  void aNumberTooLargeForItsOptionSaysWhatTheOptionTakes() {
    assertThat(refusal("session.resume.grace.ms", "99999999999"))
        .isEqualTo(
            "session.resume.grace.ms (--session.resume.grace.ms) is '99999999999':"
                + " must be zero or a positive whole number");
  }

  @Test
  void aFrameLimitTheWebSocketLayerWouldNeverLetThroughIsRefused() {
    // above 1 MiB the transport closes the connection (1009) before the session sees the frame,
    // so a larger limit would never answer frame_too_large as configured
    assertThat(refusal("session.max.frame.bytes", "2000000"))
        .isEqualTo(
            "session.max.frame.bytes (--session.max.frame.bytes) is '2000000':"
                + " must be a whole number from 1 to 1048576");
    assertThat(
            NodeConfig.from(
                    new ConfigSource(
                        Map.of("session.max.frame.bytes", "1048576"), Map.of(), Map.of()))
                .sessionMaxFrameBytes())
        .isEqualTo(NodeOptions.MAX_WEBSOCKET_MESSAGE_BYTES);
  }

  /** The message a node started with {@code --key=value} stops with. */
  private static String refusal(String key, String value) {
    ConfigSource source = new ConfigSource(Map.of(key, value), Map.of(), Map.of());
    return catchThrowableOfType(ConfigException.class, () -> NodeConfig.from(source)).getMessage();
  }

  @Test
  void theDataPlaneIsOnByDefaultAndCanBeTurnedOff() {
    assertThat(NodeConfig.from(new ConfigSource(Map.of(), Map.of(), Map.of())).dataEnabled())
        .isTrue();
    ConfigSource off = new ConfigSource(Map.of(), Map.of("AF_DATA_ENABLED", "false"), Map.of());
    assertThat(NodeConfig.from(off).dataEnabled()).isFalse();
    assertThat(NodeConfig.from(off).toString()).contains("data=off");
  }

  @Test
  void aDataSwitchThatIsNotTrueOrFalseNamesTheOption() {
    ConfigSource source = new ConfigSource(Map.of(), Map.of("AF_DATA_ENABLED", "no"), Map.of());

    assertThatThrownBy(() -> NodeConfig.from(source))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("data.enabled")
        .hasMessageContaining("true or false");
  }

  @Test
  void theJudgeIsOffByDefaultAndItsOptionsReachThePipelineConfig() {
    assertThat(NodeConfig.from(new ConfigSource(Map.of(), Map.of(), Map.of())).judge().enabled())
        .isFalse();
    ConfigSource on =
        new ConfigSource(
            Map.of("judge.endpoint", "http://127.0.0.1:9/v1", "judge.sample.rate", "1"),
            Map.of("AF_JUDGE_MODEL", "judge-small", "AF_JUDGE_TIMEOUT_MS", "500"),
            Map.of("af.judge.api.key.env", "MY_JUDGE_KEY", "af.judge.max.concurrent", "2"));

    JudgeConfig judge = NodeConfig.from(on).judge();

    assertThat(judge.enabled()).isTrue();
    assertThat(judge.endpoint()).hasToString("http://127.0.0.1:9/v1");
    assertThat(judge.model()).isEqualTo("judge-small");
    assertThat(judge.apiKeyEnv()).isEqualTo("MY_JUDGE_KEY");
    assertThat(judge.sampleRate()).isEqualTo(1.0);
    assertThat(judge.timeoutMs()).isEqualTo(500);
    assertThat(judge.maxConcurrent()).isEqualTo(2);
    assertThat(judge.version()).isEqualTo("judge-small/" + JudgeConfig.RUBRIC_VERSION);
    assertThat(NodeConfig.from(on).toString()).contains("judge=http://127.0.0.1:9/v1 judge-small");
  }

  @Test
  void badJudgeOptionsNameTheOption() {
    assertThatThrownBy(
            () ->
                NodeConfig.from(
                    new ConfigSource(Map.of("judge.sample.rate", "1.5"), Map.of(), Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("judge.sample.rate")
        .hasMessageContaining("from 0 to 1");
    assertThatThrownBy(
            () ->
                NodeConfig.from(
                    new ConfigSource(Map.of("judge.endpoint", "ftp://x/v1"), Map.of(), Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("judge.endpoint");
    assertThatThrownBy(
            () ->
                NodeConfig.from(
                    new ConfigSource(
                        Map.of("judge.api.key.env", "sk-live-123"), Map.of(), Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("judge.api.key.env")
        .hasMessageContaining("environment variable name")
        .hasMessageNotContaining("sk-live-123");
  }

  @Test
  void unknownFlagsAreRejected() {
    assertThatThrownBy(() -> ConfigSource.parseFlags(new String[] {"--htp.port=1"}))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("htp.port");
  }

  @Test
  void clusterSettingsComeFromTheClusterModulesVariablesToo() {
    ConfigSource source =
        new ConfigSource(
            Map.of("cluster.members", "10.0.0.2:5701"),
            Map.of("AF_CLUSTER_SECRET", "s3cret-s3cret", "AF_CLUSTER_LEASE_TTL", "45s"),
            Map.of());

    NodeConfig config = NodeConfig.from(source);

    assertThat(config.cluster().secret()).isEqualTo("s3cret-s3cret");
    assertThat(config.cluster().leaseTtl()).hasSeconds(45);
    assertThat(config.cluster().members()).containsExactly("10.0.0.2:5701");
  }

  @Test
  void clusterMemberPortRangesAreRejected() {
    ConfigSource source =
        new ConfigSource(
            Map.of(), Map.of("AF_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5801-5810"), Map.of());

    assertThatThrownBy(() -> NodeConfig.from(source))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("members");
  }

  @Test
  void membersMayBeHostsWithOrWithoutPortsAndIpv4OrIpv6Addresses() {
    List<String> members =
        List.of(
            "node-2",
            "node-3:5702",
            "10.0.0.4",
            "10.0.0.5:5701",
            "[::1]:5701",
            "[fd00::6]",
            "fd00::7");

    NodeConfig config =
        NodeConfig.from(
            new ConfigSource(
                Map.of("cluster.members", String.join(",", members)), Map.of(), Map.of()));

    assertThat(config.cluster().members()).containsExactlyElementsOf(members);
  }

  @Test
  void aMalformedMemberIsRefusedNamingTheOptionAndTheEntry() {
    ConfigSource flag =
        new ConfigSource(Map.of("cluster.members", "10.0.0.1:5701,garbage::"), Map.of(), Map.of());
    ConfigSource env =
        new ConfigSource(Map.of(), Map.of("AF_CLUSTER_MEMBERS", "garbage::"), Map.of());

    for (ConfigSource source : List.of(flag, env)) {
      assertThatThrownBy(() -> NodeConfig.from(source))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("cluster.members (AF_CLUSTER_MEMBERS): ")
          .hasMessageContaining("'garbage::'");
    }
  }

  @Test
  void aSharedTurnStoreNeedsAKeyEveryNodeShares() {
    assertThatThrownBy(
            () ->
                NodeConfig.from(
                    new ConfigSource(
                        Map.of("session.store.url", "jdbc:postgresql://db/af"),
                        Map.of(),
                        Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("session.store.url")
        .hasMessageContaining("session.store.key")
        .hasMessageContaining("same key");
    String key = "hS+EhJyUdfFoKGJRFANtvnmRoiC/fy69JT3IQRRhGco=";
    NodeConfig config =
        NodeConfig.from(
            new ConfigSource(
                Map.of("session.store.url", "jdbc:postgresql://db/af"),
                Map.of("AF_SESSION_STORE_KEY", key),
                Map.of()));
    assertThat(config.sessionStoreKey()).contains(key);
    assertThat(config.toString()).doesNotContain(key);
    assertThat(NodeConfig.from(new ConfigSource(Map.of(), Map.of(), Map.of())).sessionStoreKey())
        .as("the embedded store generates its own key")
        .isEmpty();
  }

  @Test
  void aBadTurnStoreKeyNamesTheOptionAndTheEntryButNotTheValue() {
    String shortKey = "c2hvcnQta2V5LW5vdC0zMi1ieXRlcw==";
    assertThatThrownBy(
            () ->
                NodeConfig.from(
                    new ConfigSource(
                        Map.of(
                            "session.store.key",
                            "hS+EhJyUdfFoKGJRFANtvnmRoiC/fy69JT3IQRRhGco=," + shortKey),
                        Map.of(),
                        Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("session.store.key")
        .hasMessageContaining("entry 2 of 2")
        .hasMessageContaining("32")
        .hasMessageNotContaining(shortKey);
    assertThatThrownBy(
            () ->
                NodeConfig.from(
                    new ConfigSource(
                        Map.of("session.store.key", "/no/such/turn-store.key"),
                        Map.of(),
                        Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("session.store.key")
        .hasMessageContaining("key file");
  }

  @Test
  void savepointsGoUnderTheDataDirUnlessADirectoryOrUriIsNamed() {
    NodeConfig defaults =
        NodeConfig.from(new ConfigSource(Map.of(), Map.of("AF_DATA_DIR", "/srv/af"), Map.of()));
    assertThat(defaults.flinkSavepointsDir())
        .isEqualTo(Path.of("/srv/af/flink/savepoints").toUri().toString());
    assertThat(defaults.localSavepointsDir()).contains(Path.of("/srv/af/flink/savepoints"));

    NodeConfig shared =
        NodeConfig.from(
            new ConfigSource(
                Map.of("flink.savepoints.dir", "s3://bucket/savepoints"), Map.of(), Map.of()));
    assertThat(shared.flinkSavepointsDir()).isEqualTo("s3://bucket/savepoints");
    assertThat(shared.localSavepointsDir()).isEmpty();

    assertThatThrownBy(
            () ->
                NodeConfig.from(
                    new ConfigSource(
                        Map.of(), Map.of("AF_FLINK_SAVEPOINTS_DIR", "savepoints"), Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("flink.savepoints.dir")
        .hasMessageContaining("absolute path or a URI");
  }

  @Test
  void theConfigurationReferenceListsEveryOptionWithItsVariableAndDefault() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));

    for (Option<?> option : NodeOptions.ALL) {
      String defaultText =
          option.defaultValue().isEmpty() ? "(empty)" : "`" + option.defaultValue() + "`";
      assertThat(doc)
          .as("docs/configuration.md row of %s", option.key())
          .contains(
              "| `"
                  + option.key()
                  + "` | `"
                  + option.env()
                  + "` | "
                  + defaultText
                  + " | "
                  + option.description()
                  + " |");
    }
    assertThat(NodeOptions.ALL.stream().map(Option::env).distinct().toList())
        .hasSameSizeAs(List.copyOf(NodeOptions.ALL));
  }
}
