package dev.agentfactory.connectors.dataset.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {

  private static final DatasetVersion V2 =
      new DatasetVersion(
          DatasetVersion.FORMAT,
          "sft",
          2,
          Instant.parse("2026-01-02T03:04:05.678Z"),
          new DatasetSchema("message SftRow {\n  required binary tenant (STRING);\n}\n", "{}"),
          new Lineage("job-1", 42L, "file:/sp/savepoint-1", List.of("pii-v2", "pii-v1"), "j-7"),
          List.of(
              new DatasetFile("2026-01-02--03/part-a-0.parquet", 1234, 10, "ab".repeat(32)),
              new DatasetFile("2026-01-02--04/part-b-0.parquet", 99, 1, "cd".repeat(32))));

  @Test
  void aManifestSurvivesARoundTrip() {
    assertThat(ManifestCodec.decode(ManifestCodec.encode(V2))).isEqualTo(V2);
  }

  @Test
  void reEncodingADecodedManifestGivesTheSameBytes() {
    byte[] bytes = ManifestCodec.encode(V2);
    assertThat(ManifestCodec.encode(ManifestCodec.decode(bytes))).isEqualTo(bytes);
  }

  @Test
  void absentLineageStaysAbsent() {
    DatasetVersion v =
        new DatasetVersion(
            DatasetVersion.FORMAT,
            "sft",
            1,
            Instant.EPOCH,
            new DatasetSchema("message m {}", null),
            Lineage.unknown(),
            List.of());
    assertThat(ManifestCodec.decode(ManifestCodec.encode(v))).isEqualTo(v);
  }

  @Test
  void theJsonHasFixedKeysTotalsAndUnixLineEnds() {
    String json = new String(ManifestCodec.encode(V2), StandardCharsets.UTF_8);
    assertThat(json)
        .startsWith("{\n  \"format\" : 1,\n  \"dataset\" : \"sft\",\n  \"version\" : 2,")
        .contains("\"created_at\" : \"2026-01-02T03:04:05.678Z\"")
        .contains("\"file_count\" : 2", "\"total_rows\" : 11", "\"total_bytes\" : 1333")
        .contains("\"scrub_policies\" : [\n      \"pii-v1\",\n      \"pii-v2\"\n    ]")
        .contains("\"path\" : \"2026-01-02--03/part-a-0.parquet\"")
        .doesNotContain("\r")
        .endsWith("}\n");
  }

  @Test
  void unknownFormatsAndMissingFieldsAreRejected() {
    String json = new String(ManifestCodec.encode(V2), StandardCharsets.UTF_8);
    assertThatThrownBy(
            () ->
                ManifestCodec.decode(
                    json.replace("\"format\" : 1", "\"format\" : 9")
                        .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format 9");
    assertThatThrownBy(
            () ->
                ManifestCodec.decode(
                    json.replace("\"sha256\"", "\"sha\"").getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sha256");
    assertThatThrownBy(() -> ManifestCodec.decode("nope".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
