package dev.agentfactory.edge.model;

/** A model call failure that may go away if the same request is sent again later. */
public final class RetriableModelException extends ModelException {

  RetriableModelException(
      ModelErrorCode code, String message, int httpStatus, String partialText, Throwable cause) {
    super(code, message, httpStatus, partialText, cause);
  }

  @Override
  public boolean retriable() {
    return true;
  }
}
