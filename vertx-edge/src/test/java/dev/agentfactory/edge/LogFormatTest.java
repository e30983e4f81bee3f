package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** log.format switches the node's log4j2.xml between readable lines and one JSON object a line. */
class LogFormatTest {

  private static final Logger LOG =
      LoggerFactory.getLogger("dev.agentfactory.edge.session.Session");
  private final PrintStream stderr = System.err;

  @AfterEach
  void restore() {
    System.setErr(stderr);
    System.clearProperty(NodeMain.LOG_FORMAT_PROPERTY);
    Configurator.reconfigure();
  }

  @Test
  void jsonFormatWritesOneEcsObjectPerLineWithTheSessionFields() throws Exception {
    String out =
        capture(
            "json",
            () ->
                LOG.atWarn()
                    .addKeyValue("session_id", "s-1")
                    .addKeyValue("tenant", "acme")
                    .setCause(new IllegalStateException("boom"))
                    .log("session {}: sandbox release failed", "s-1"));

    String line = out.lines().filter(l -> l.contains("sandbox release failed")).findFirst().get();
    JsonNode event = new ObjectMapper().readTree(line);
    assertThat(event.get("message").asText()).isEqualTo("session s-1: sandbox release failed");
    assertThat(event.get("log.level").asText()).isEqualTo("WARN");
    assertThat(event.get("session_id").asText()).isEqualTo("s-1");
    assertThat(event.get("tenant").asText()).isEqualTo("acme");
    assertThat(event.get("error.message").asText()).isEqualTo("boom");
    assertThat(event.get("service.name").asText()).isEqualTo("agent-factory");
  }

  @Test
  void textFormatWritesAReadableLineWithTheSessionFields() throws Exception {
    String out =
        capture(
            "text",
            () ->
                LOG.atInfo()
                    .addKeyValue("session_id", "s-2")
                    .addKeyValue("tenant", "acme")
                    .log("session {}: not resumed", "s-2"));

    String line = out.lines().filter(l -> l.contains("not resumed")).findFirst().get();
    assertThat(line).doesNotStartWith("{").contains("INFO").contains("session s-2: not resumed");
    assertThat(line).contains("session_id=s-2").contains("tenant=acme");
  }

  /** Reconfigures for {@code format} with stderr captured (the console appender takes it then). */
  @Test
  void theEmbeddedBrokersInfoLinesAreQuietIncludingItsPartitionStateChanges() {
    String out =
        capture(
            "text",
            () -> {
              LoggerFactory.getLogger("kafka.server.ReplicaManager").info("replica info");
              LoggerFactory.getLogger("state.change.logger")
                  .info("[Broker id=1] Creating new partition agent-factory.interactions-0");
              LoggerFactory.getLogger("state.change.logger").warn("a state change went wrong");
            });

    assertThat(out)
        .doesNotContain("replica info", "Creating new partition")
        .contains("a state change went wrong");
  }

  private String capture(String format, Runnable logging) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    System.clearProperty(NodeMain.LOG_FORMAT_PROPERTY);
    NodeMain.applyLogFormat(format);
    if (format.equals("text")) {
      Configurator.reconfigure(); // text is the default: force the new stderr
    }
    logging.run();
    System.setErr(stderr);
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
