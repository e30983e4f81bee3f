package dev.agentfactory.sandbox.template;

/** A template that cannot be used as written; the message names the template and the field. */
public final class InvalidTemplateException extends IllegalArgumentException {

  public InvalidTemplateException(String message) {
    super(message);
  }
}
