package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Rating;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * A turn's rows taken back by feedback: a thumbs-down that arrived after the turn's {@code sft} row
 * was written, or a reference that makes the turn an evaluation example, which takes back every
 * training row of the turn ({@code sft}, {@code preference}, {@code unpaired}, {@code rft}),
 * including the rows its amending events made, whichever arrived first. Parquet files are
 * immutable, so the pipeline records the withdrawal in {@code <datasets>/_withdrawals/<dataset>/}
 * and a version cut leaves out the rows whose {@code example_id} or {@code amends_event_id} is
 * withdrawn (docs/datasets.md, "Withdrawn rows").
 *
 * <pre>{@code
 * Optional<Withdrawal> w = Withdrawal.of(DatasetKind.UNPAIRED, event); // present for an eval turn
 * }</pre>
 *
 * @param exampleId the turn's event id: the {@code example_id} of the turn's own rows and the
 *     {@code amends_event_id} of its amendments' rows
 * @param withdrawnBy the id of the event that withdraws
 * @param reason {@value #RATED_DOWN}, {@value #EVAL_EXAMPLE} or {@value #EVAL_DUPLICATE}
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
   * The turn is a duplicate twin of an evaluation example: the quality filter dropped one of the
   * two as a duplicate (exact or near) of the other, and one of them was marked eval, so neither
   * may train.
   */
  public static final String EVAL_DUPLICATE = "eval_duplicate";

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
    return of(DatasetKind.SFT, event);
  }

  /**
   * The withdrawal {@code event} makes from dataset {@code kind}:
   *
   * <ul>
   *   <li>an {@code eval: true} reference, on the turn's own event or an amending one, withdraws
   *       the turn from every training kind: an earlier or later amendment without the reference (a
   *       rating, a comparison, a training reference) makes rows the event cannot see, and the
   *       withdrawal takes them back by their {@code amends_event_id};
   *   <li>a {@code down} rating on an amending event withdraws the turn's {@code sft} row.
   * </ul>
   *
   * Empty for {@code eval} (never withdrawn) and for any other event. A turn's own eval or
   * thumbs-down event never made an {@code sft} row, so it withdraws nothing from {@code sft}.
   */
  public static Optional<Withdrawal> of(DatasetKind kind, Interaction event) {
    if (kind == DatasetKind.EVAL) {
      return Optional.empty();
    }
    String reason = null;
    if (event.isEvalExample() && (kind != DatasetKind.SFT || event.isAmendment())) {
      reason = EVAL_EXAMPLE;
    } else if (kind == DatasetKind.SFT
        && event.isAmendment()
        && event.feedback().flatMap(f -> f.rating()).filter(r -> r == Rating.DOWN).isPresent()) {
      reason = RATED_DOWN;
    }
    if (reason == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Withdrawal(
            event.amends().orElse(event.eventId()).toString(),
            event.eventId().toString(),
            reason,
            event.sessionId(),
            event.tenant(),
            event.createdAt()));
  }

  /**
   * The withdrawal of turn {@code exampleId} from every training kind because it duplicates an
   * evaluation example ({@value #EVAL_DUPLICATE}): the quality filter records it when an eval mark
   * names a turn of a group of duplicates (the kept turn and the turns dropped as its duplicates)
   * and withdraws the group's other turns.
   *
   * @param withdrawnBy the eval mark's event id
   * @param seen the event the filter was processing when it found the twin (the eval mark, or a
   *     duplicate that came after it): its session, tenant and time go into the row
   */
  public static Withdrawal evalDuplicate(String exampleId, String withdrawnBy, Interaction seen) {
    return new Withdrawal(
        exampleId, withdrawnBy, EVAL_DUPLICATE, seen.sessionId(), seen.tenant(), seen.createdAt());
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
