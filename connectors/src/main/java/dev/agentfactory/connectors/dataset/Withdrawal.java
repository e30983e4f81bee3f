package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * A turn's {@code sft} row taken back by feedback that arrived after it was written: a thumbs-down,
 * or a reference that makes the turn an evaluation example. Parquet files are immutable, so the
 * pipeline records the withdrawal in {@code <datasets>/_withdrawals/sft/} and a version cut leaves
 * the withdrawn rows out (docs/datasets.md, "Withdrawn rows").
 *
 * <pre>{@code
 * Optional<Withdrawal> w = Withdrawal.of(amendingEvent); // present for a later thumbs-down
 * }</pre>
 *
 * @param exampleId the withdrawn row's {@code example_id}: the amended turn event's id
 * @param withdrawnBy the amending event's id
 * @param reason {@value #RATED_DOWN} or {@value #EVAL_EXAMPLE}
 */
public record Withdrawal(
    String exampleId,
    String withdrawnBy,
    String reason,
    String sessionId,
    String tenant,
    Instant createdAt) {

  /** The person rated the turn's response down: it must not be imitated. */
  public static final String RATED_DOWN = "rated_down";

  /** The turn became an evaluation example: it must not train. */
  public static final String EVAL_EXAMPLE = "eval_example";

  /**
   * The directory beside the datasets ({@code <datasets>/_withdrawals/<dataset>/}) that holds a
   * dataset's withdrawals.
   */
  public static final String DIRECTORY = "_withdrawals";

  /** The Avro schema of a withdrawal row (Parquet schema derived as for the datasets). */
  public static final Schema SCHEMA =
      SchemaBuilder.record("Withdrawal")
          .namespace(DatasetSchemas.NAMESPACE)
          .fields()
          .requiredString("example_id")
          .requiredString("withdrawn_by")
          .requiredString("reason")
          .requiredString("session_id")
          .requiredString("tenant")
          .name("created_at")
          .type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)))
          .noDefault()
          .endRecord();

  public Withdrawal {
    Objects.requireNonNull(exampleId, "example_id");
    Objects.requireNonNull(withdrawnBy, "withdrawn_by");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(sessionId, "session_id");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(createdAt, "created_at");
  }

  /**
   * The withdrawal an amending event makes of its turn's {@code sft} row: a {@code down} rating or
   * an {@code eval} reference. Empty for any other event: a turn's own event with such feedback
   * never made an {@code sft} row in the first place.
   */
  public static Optional<Withdrawal> of(Interaction event) {
    if (!event.isAmendment()) {
      return Optional.empty();
    }
    String reason = null;
    if (event.reference().map(Reference::eval).orElse(false)) {
      reason = EVAL_EXAMPLE;
    } else if (event
        .feedback()
        .flatMap(f -> f.rating())
        .filter(r -> r == Rating.DOWN)
        .isPresent()) {
      reason = RATED_DOWN;
    }
    if (reason == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Withdrawal(
            event.amends().orElseThrow().toString(),
            event.eventId().toString(),
            reason,
            event.sessionId(),
            event.tenant(),
            event.createdAt()));
  }

  /** The row as an Avro record of {@link #SCHEMA}. */
  public GenericRecord toRecord() {
    GenericRecord record = new GenericData.Record(SCHEMA);
    record.put("example_id", exampleId);
    record.put("withdrawn_by", withdrawnBy);
    record.put("reason", reason);
    record.put("session_id", sessionId);
    record.put("tenant", tenant);
    record.put("created_at", createdAt.toEpochMilli());
    return record;
  }
}
