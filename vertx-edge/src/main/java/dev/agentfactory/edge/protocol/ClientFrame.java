package dev.agentfactory.edge.protocol;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A frame a client sends, after parsing and validation by {@link FrameCodec}. */
public sealed interface ClientFrame {

  /** The client's id for the request, echoed in every frame that answers it. */
  String id();

  /** Run a command in the session's sandbox. */
  record Exec(String id, List<String> argv, Optional<Duration> timeout) implements ClientFrame {
    public Exec {
      argv = List.copyOf(argv);
    }
  }

  /** A user message to the session's agent; answered by an agent turn. */
  record Message(String id, String content) implements ClientFrame {}

  /**
   * A person's feedback on an earlier turn of this session, and/or the turn's known right answer;
   * answered with {@code feedback.recorded} once its event is on Kafka.
   *
   * @param turnId the {@code id} of the {@code exec} or {@code message} frame that started the turn
   * @param feedback the rating and/or the rejected alternative, if any
   * @param reference the known right answer, if any; at least one of the two is present
   */
  record Feedback(
      String id,
      String turnId,
      Optional<dev.agentfactory.connectors.event.Feedback> feedback,
      Optional<dev.agentfactory.connectors.event.Reference> reference)
      implements ClientFrame {}

  /**
   * Stops an {@code exec} or {@code message} of this session that is running or still waiting in
   * the queue; answered at once with {@code cancel.accepted}, then the target's own last frame.
   *
   * @param target the {@code id} of the {@code exec} or {@code message} frame to stop
   */
  record Cancel(String id, String target) implements ClientFrame {}

  /** Liveness check; answered with {@code pong}. */
  record Ping(String id) implements ClientFrame {}
}
