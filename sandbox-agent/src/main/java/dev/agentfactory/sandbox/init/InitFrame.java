package dev.agentfactory.sandbox.init;

import java.util.Objects;

/**
 * One frame of the af-init protocol: {@code [u8 type][u32 big-endian length][payload]}. See {@code
 * src/main/c/af-init.c} for the authoritative description.
 */
public record InitFrame(Type type, byte[] payload) {

  /** Frame types; host→init below 0x10, init→host from 0x10. */
  public enum Type {
    EXEC(0x01),
    KILL(0x02),
    READY(0x10),
    STDOUT(0x11),
    STDERR(0x12),
    EXIT(0x13),
    ERROR(0x14);

    private final int code;

    Type(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    static Type of(int code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      throw new IllegalArgumentException("unknown frame type 0x" + Integer.toHexString(code));
    }
  }

  public InitFrame {
    Objects.requireNonNull(type, "type");
    payload = payload == null ? new byte[0] : payload;
  }

  public static InitFrame of(Type type) {
    return new InitFrame(type, new byte[0]);
  }
}
