package dev.agentfactory.edge.session;

import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.FrameException;
import dev.agentfactory.edge.protocol.ServerFrame;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * A {@link Session}'s interaction events: each finished turn (a command or an agent turn) recorded,
 * the recent ones remembered so feedback can amend them, and how many Kafka has not yet
 * acknowledged, which holds new work back ({@link #backlog}).
 *
 * <p>Runs on the session's Vert.x context, as the session does: the recorder's answers hop onto it
 * before touching anything.
 */
final class TurnRecording {

  private final Session session;
  private final InteractionRecorder recorder;
  private final SessionSettings settings;
  private final EdgeMetrics metrics;

  /** Interaction events this session handed to the recorder that Kafka has not yet answered. */
  private int unacked;

  /** Turns feedback can name, by request id; the most recent {@value Session#REMEMBERED_TURNS}. */
  private final Map<String, Future<SessionRecord>> recordedTurns =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Future<SessionRecord>> eldest) {
          return size() > Session.REMEMBERED_TURNS;
        }
      };

  TurnRecording(
      Session session,
      InteractionRecorder recorder,
      SessionSettings settings,
      EdgeMetrics metrics) {
    this.session = session;
    this.recorder = recorder;
    this.settings = settings;
    this.metrics = metrics;
  }

  /**
   * Why new work must wait for the data plane, or null: this session already has {@link
   * SessionSettings#maxUnackedEvents()} events Kafka has not acknowledged, or the node's publisher
   * is backlogged. Back-pressure instead of more events the publisher might have to refuse.
   */
  String backlog() {
    if (unacked >= settings.maxUnackedEvents()) {
      return unacked
          + " interaction events of this session are not yet acknowledged by Kafka (it is slow or"
          + " away); send the request again later";
    }
    if (recorder.backlogged()) {
      return "this node's interaction events wait for Kafka (it is slow or away); send the request"
          + " again later";
    }
    return null;
  }

  /**
   * Records feedback on an earlier turn of this session as an amending interaction event; completes
   * once Kafka has it. Fails with a {@link FrameException}: {@code unknown_turn} (field {@code
   * turn_id}) if the session has no recorded turn with that id, {@code turn_not_recorded} if that
   * turn's own event never reached Kafka, {@code event_not_recorded} if the feedback's did not.
   */
  Future<FeedbackRecord> recordFeedback(ClientFrame.Feedback feedback) {
    Promise<FeedbackRecord> result = Promise.promise();
    session.onContext(
        () -> {
          Future<SessionRecord> turn = recordedTurns.get(feedback.turnId());
          if (turn == null) {
            result.fail(
                new FrameException(
                    "unknown_turn",
                    "this session has no finished turn with id '"
                        + feedback.turnId()
                        + "' (the last "
                        + Session.REMEMBERED_TURNS
                        + " are kept)",
                    "turn_id",
                    feedback.id()));
            return;
          }
          turn.transform(
                  ar -> {
                    if (ar.failed()) {
                      return Future.<FeedbackRecord>failedFuture(
                          new FrameException(
                              "turn_not_recorded",
                              "turn '"
                                  + feedback.turnId()
                                  + "' was not recorded, so there is no event to amend",
                              "turn_id",
                              feedback.id()));
                    }
                    FeedbackRecord record =
                        FeedbackRecord.of(ar.result(), feedback.feedback(), feedback.reference());
                    return recorder
                        .record(record)
                        .transform(
                            sent -> {
                              metrics.eventPublished(sent.succeeded());
                              return sent.succeeded()
                                  ? Future.succeededFuture(record)
                                  : Future.<FeedbackRecord>failedFuture(
                                      new FrameException(
                                          "event_not_recorded",
                                          "the feedback's event was not recorded: "
                                              + sent.cause().getMessage(),
                                          null,
                                          feedback.id()));
                            });
                  })
              .onComplete(
                  ar ->
                      session.onContext(
                          () -> {
                            if (ar.succeeded()) {
                              result.complete(ar.result());
                            } else {
                              result.fail(ar.cause());
                            }
                          }));
        });
    return result.future();
  }

  /** The frame that answers {@code feedback} once its event is recorded. */
  static ServerFrame.FeedbackRecorded feedbackRecorded(
      ClientFrame.Feedback feedback, FeedbackRecord record) {
    return new ServerFrame.FeedbackRecorded(
        feedback.id(),
        feedback.turnId(),
        record.eventId().toString(),
        record.turn().eventId().toString());
  }

  /**
   * Records a finished turn as an interaction event, remembered under {@code requestId} for
   * feedback; the client is told if Kafka does not take it.
   */
  void record(String requestId, SessionRecord record) {
    Promise<SessionRecord> recorded = Promise.promise();
    recordedTurns.remove(requestId); // a reused id names the newest turn
    recordedTurns.put(requestId, recorded.future());
    unacked++;
    recorder
        .recordTurn(requestId, record)
        .andThen(
            ar -> {
              if (ar.succeeded()) {
                recorded.complete(record);
              } else {
                recorded.fail(ar.cause());
              }
            })
        .onComplete(
            ar ->
                session.onContext(
                    () -> {
                      unacked--;
                      metrics.eventPublished(ar.succeeded());
                      if (ar.failed()) {
                        session
                            .log(Level.WARN)
                            .setCause(ar.cause())
                            .log(
                                "session {}: interaction of {} not recorded",
                                session.id(),
                                requestId);
                        session.send(
                            new ServerFrame.Error(
                                requestId,
                                "event_not_recorded",
                                "the work was done but its interaction event was not recorded: "
                                    + ar.cause().getMessage(),
                                null,
                                false));
                      }
                    }));
  }
}
