package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.PiiFinding;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The columns every row of every dataset kind carries: where the row came from and what was done to
 * it. Nullable: {@code amendsEventId}, {@code traceId}, {@code model}.
 *
 * @param exampleId the event id: one event gives at most one row per dataset, so it is unique per
 *     dataset, and a replayed event keeps it (deduplicate on it)
 * @param amendsEventId the turn's event id if the row comes from an amending event, else null: a
 *     withdrawal of the turn (its {@code example_id}) also takes back the rows of its amendments
 * @param piiSpans what the scrubber found, in the offsets of the original text, never the values
 */
public record Provenance(
    String exampleId,
    String amendsEventId,
    String traceId,
    String sessionId,
    String tenant,
    String agent,
    String agentVersion,
    String model,
    Instant createdAt,
    int schemaVersion,
    String scrubPolicyVersion,
    List<Label> labels,
    List<Score> scores,
    List<PiiFinding> piiSpans) {

  public Provenance {
    Objects.requireNonNull(exampleId, "example_id");
    Objects.requireNonNull(sessionId, "session_id");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(agentVersion, "agent_version");
    Objects.requireNonNull(createdAt, "created_at");
    Objects.requireNonNull(scrubPolicyVersion, "scrub_policy_version");
    labels = List.copyOf(labels);
    scores = List.copyOf(scores);
    piiSpans = List.copyOf(piiSpans);
  }

  /** The provenance of a row that does not come from an amending event. */
  public Provenance(
      String exampleId,
      String traceId,
      String sessionId,
      String tenant,
      String agent,
      String agentVersion,
      String model,
      Instant createdAt,
      int schemaVersion,
      String scrubPolicyVersion,
      List<Label> labels,
      List<Score> scores,
      List<PiiFinding> piiSpans) {
    this(
        exampleId,
        null,
        traceId,
        sessionId,
        tenant,
        agent,
        agentVersion,
        model,
        createdAt,
        schemaVersion,
        scrubPolicyVersion,
        labels,
        scores,
        piiSpans);
  }

  /**
   * The provenance of a row from a scrubbed event: its ids, agent, model, PII findings, and a
   * {@code user_rating} label when the event carries a thumbs up or down, a {@code user_comment}
   * label when it carries a comment.
   */
  public static Provenance of(Interaction event, String scrubPolicyVersion) {
    List<Label> labels = new ArrayList<>(1);
    event
        .feedback()
        .flatMap(f -> f.rating())
        .ifPresent(
            r ->
                labels.add(
                    new Label(Label.USER_RATING, r.json(), Label.SOURCE_USER, null, null, false)));
    event
        .feedback()
        .flatMap(f -> f.comment())
        .ifPresent(
            c ->
                labels.add(new Label(Label.USER_COMMENT, c, Label.SOURCE_USER, null, null, false)));
    return new Provenance(
        event.eventId().toString(),
        event.amends().map(UUID::toString).orElse(null),
        event.traceId().orElse(null),
        event.sessionId(),
        event.tenant(),
        event.agentName(),
        event.agentVersion(),
        event.model().orElse(null),
        event.createdAt(),
        event.schemaVersion(),
        scrubPolicyVersion,
        labels,
        List.of(),
        event.piiSpans());
  }

  /** This provenance with more labels and scores (for a labelling operator). */
  public Provenance withVerdicts(List<Label> moreLabels, List<Score> moreScores) {
    List<Label> l = new ArrayList<>(labels);
    l.addAll(moreLabels);
    List<Score> s = new ArrayList<>(scores);
    s.addAll(moreScores);
    return new Provenance(
        exampleId,
        amendsEventId,
        traceId,
        sessionId,
        tenant,
        agent,
        agentVersion,
        model,
        createdAt,
        schemaVersion,
        scrubPolicyVersion,
        l,
        s,
        piiSpans);
  }
}
