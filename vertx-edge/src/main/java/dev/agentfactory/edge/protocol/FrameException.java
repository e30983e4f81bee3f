package dev.agentfactory.edge.protocol;

/** A client frame that cannot be accepted; becomes an {@code error} frame. */
public final class FrameException extends Exception {

  private final String code;
  private final String field;
  private final String id;

  public FrameException(String code, String message, String field, String id) {
    super(message);
    this.code = code;
    this.field = field;
    this.id = id;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  public String id() {
    return id;
  }

  public ServerFrame.Error toFrame() {
    return new ServerFrame.Error(id, code, getMessage(), field, false);
  }
}
