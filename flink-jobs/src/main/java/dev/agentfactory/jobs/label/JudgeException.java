package dev.agentfactory.jobs.label;

/** The judge endpoint failed or answered something that is not a verdict. */
public final class JudgeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public JudgeException(String message) {
    super(message);
  }

  public JudgeException(String message, Throwable cause) {
    super(message, cause);
  }
}
