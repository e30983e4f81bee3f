package dev.agentfactory.edge.model;

/** A model call failure that sending the same request again will not fix. */
public final class FatalModelException extends ModelException {

  FatalModelException(
      ModelErrorCode code, String message, int httpStatus, String partialText, Throwable cause) {
    super(code, message, httpStatus, partialText, cause);
  }

  @Override
  public boolean retriable() {
    return false;
  }
}
