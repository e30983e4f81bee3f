package dev.agentfactory.edge.model;

import java.util.OptionalInt;

/**
 * The one root of model call failures. {@link RetriableModelException} means the same request may
 * succeed later (rate limits, 5xx, timeouts); {@link FatalModelException} means it will not.
 * Providers retry retriable failures themselves, and only before anything was streamed, so a
 * retriable exception reaching a caller means the retries ran out.
 *
 * <p>Messages never contain secrets: providers redact API keys before building them.
 */
public abstract sealed class ModelException extends RuntimeException
    permits RetriableModelException, FatalModelException {

  private final ModelErrorCode code;
  private final int httpStatus;
  private final String partialText;

  ModelException(
      ModelErrorCode code, String message, int httpStatus, String partialText, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.httpStatus = httpStatus;
    this.partialText = partialText == null ? "" : partialText;
  }

  /** The right subclass for {@code code}. {@code httpStatus} is 0 when there was none. */
  public static ModelException of(
      ModelErrorCode code, String message, int httpStatus, String partialText, Throwable cause) {
    return code.retriable()
        ? new RetriableModelException(code, message, httpStatus, partialText, cause)
        : new FatalModelException(code, message, httpStatus, partialText, cause);
  }

  public static ModelException of(ModelErrorCode code, String message) {
    return of(code, message, 0, "", null);
  }

  public ModelErrorCode code() {
    return code;
  }

  public abstract boolean retriable();

  /** The HTTP status the provider answered with, if the failure was an HTTP error. */
  public OptionalInt httpStatus() {
    return httpStatus == 0 ? OptionalInt.empty() : OptionalInt.of(httpStatus);
  }

  /** The answer text streamed before the failure; empty if none was. */
  public String partialText() {
    return partialText;
  }

  /** This failure with the text streamed so far attached, keeping code and cause. */
  ModelException withPartialText(String text) {
    return of(code, getMessage(), httpStatus, text, getCause());
  }
}
