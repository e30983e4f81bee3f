package dev.agentfactory.edge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.connectors.event.Feedback;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Rating;
import dev.agentfactory.connectors.event.Reference;
import dev.agentfactory.connectors.event.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses the {@code feedback} client frame (also the body of {@code POST
 * /v1/sessions/{id}/feedback}): strict, every problem an {@code invalid_field} naming the field.
 *
 * <pre>
 * {"v":1,"type":"feedback","id":"f1","turn_id":"c1","rating":"down",
 *  "rejected":"an answer the person discarded", "comment":"too long",
 *  "reference":{"answer":"42","verifier":"numeric","rubric":null,"eval":false}}
 * </pre>
 */
public final class FeedbackFrames {

  static final int MAX_TEXT_CHARS = 32 * 1024;
  static final int MAX_REJECTED = 64;
  static final int MAX_COMMENT_CHARS = 4096;

  private FeedbackFrames() {}

  /** The feedback in {@code root}; {@code id} is the request's id, echoed in errors. */
  public static ClientFrame.Feedback parse(JsonNode root, String id) throws FrameException {
    String turnId = text(root, "turn_id", id, true);
    if (turnId.length() > FrameCodec.MAX_ID_LENGTH) {
      throw invalid(
          "turn_id must be 1 to " + FrameCodec.MAX_ID_LENGTH + " characters", "turn_id", id);
    }
    Optional<Rating> rating = Optional.empty();
    String ratingText = text(root, "rating", id, false);
    if (ratingText != null) {
      rating =
          Optional.of(
              switch (ratingText) {
                case "up" -> Rating.UP;
                case "down" -> Rating.DOWN;
                default -> throw invalid("rating must be up or down", "rating", id);
              });
    }
    List<Message> rejected = rejected(root.get("rejected"), id);
    Optional<String> comment = Optional.ofNullable(text(root, "comment", id, false));
    if (comment.isPresent() && comment.get().length() > MAX_COMMENT_CHARS) {
      throw invalid("comment is over " + MAX_COMMENT_CHARS + " characters", "comment", id);
    }
    Optional<Reference> reference = reference(root.get("reference"), id);
    if (rating.isEmpty() && rejected.isEmpty() && comment.isEmpty() && reference.isEmpty()) {
      throw invalid(
          "feedback needs at least one of rating, rejected, comment or reference", "rating", id);
    }
    Optional<Feedback> feedback =
        rating.isEmpty() && rejected.isEmpty() && comment.isEmpty()
            ? Optional.empty()
            : Optional.of(new Feedback(rating, rejected, comment));
    return new ClientFrame.Feedback(id, turnId, feedback, reference);
  }

  /** A string (one assistant message) or an array of {@code {role, content}}. */
  private static List<Message> rejected(JsonNode node, String id) throws FrameException {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (node.isTextual()) {
      return List.of(Message.assistant(bounded(node.textValue(), "rejected", id)));
    }
    if (!node.isArray() || node.isEmpty() || node.size() > MAX_REJECTED) {
      throw invalid(
          "rejected must be a string or an array of 1 to "
              + MAX_REJECTED
              + " {role, content} objects",
          "rejected",
          id);
    }
    List<Message> messages = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode m = node.get(i);
      String field = "rejected[" + i + "]";
      if (!m.isObject()) {
        throw invalid(field + " must be an object with role and content", field, id);
      }
      String role = text(m, "role", id, true, field + ".role");
      Role parsed =
          switch (role) {
            case "assistant" -> Role.ASSISTANT;
            case "tool" -> Role.TOOL;
            default ->
                throw invalid(field + ".role must be assistant or tool", field + ".role", id);
          };
      String content = text(m, "content", id, true, field + ".content");
      messages.add(new Message(parsed, bounded(content, field + ".content", id)));
    }
    return messages;
  }

  private static Optional<Reference> reference(JsonNode node, String id) throws FrameException {
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isObject()) {
      throw invalid("reference must be an object with an answer", "reference", id);
    }
    String answer =
        bounded(text(node, "answer", id, true, "reference.answer"), "reference.answer", id);
    String verifier = text(node, "verifier", id, false, "reference.verifier");
    if (verifier != null && verifier.length() > 256) {
      throw invalid("reference.verifier is over 256 characters", "reference.verifier", id);
    }
    String rubric = text(node, "rubric", id, false, "reference.rubric");
    if (rubric != null) {
      bounded(rubric, "reference.rubric", id);
    }
    JsonNode eval = node.get("eval");
    if (eval != null && !eval.isNull() && !eval.isBoolean()) {
      throw invalid("reference.eval must be true or false", "reference.eval", id);
    }
    return Optional.of(
        new Reference(
            answer,
            Optional.ofNullable(verifier),
            Optional.ofNullable(rubric),
            eval != null && eval.booleanValue()));
  }

  private static String text(JsonNode root, String name, String id, boolean required)
      throws FrameException {
    return text(root, name, id, required, name);
  }

  private static String text(JsonNode root, String name, String id, boolean required, String field)
      throws FrameException {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      if (required) {
        throw invalid(field + " is required", field, id);
      }
      return null;
    }
    if (!node.isTextual() || node.textValue().isBlank()) {
      throw invalid(field + " must be a non-empty string", field, id);
    }
    return node.textValue();
  }

  private static String bounded(String text, String field, String id) throws FrameException {
    if (text.isBlank()) {
      throw invalid(field + " must be a non-empty string", field, id);
    }
    if (text.length() > MAX_TEXT_CHARS) {
      throw invalid(field + " is over " + MAX_TEXT_CHARS + " characters", field, id);
    }
    return text;
  }

  private static FrameException invalid(String message, String field, String id) {
    return new FrameException("invalid_field", message, field, id);
  }
}
