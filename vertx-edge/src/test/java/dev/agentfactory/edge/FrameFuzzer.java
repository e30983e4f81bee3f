package dev.agentfactory.edge;

import java.util.Random;

/**
 * Deterministic bad input for a session: broken JSON, wrong types and ranges, unknown types,
 * oversized frames, deep nesting, binary frames, control characters. None is a valid frame, so each
 * must be answered with exactly one non-fatal error frame.
 */
final class FrameFuzzer {

  /** One input: text, or binary when {@code binary} is set. */
  record Input(String text, byte[] binary) {}

  private static final String[] TEMPLATES = {
    "{\"v\":1,\"type\":\"exec\",\"id\":\"%s\"}",
    "{\"v\":1,\"type\":\"exec\",\"id\":\"%s\",\"command\":%d}",
    "{\"v\":1,\"type\":\"exec\",\"id\":\"%s\",\"argv\":[]}",
    "{\"v\":1,\"type\":\"exec\",\"id\":\"%s\",\"argv\":[null]}",
    "{\"v\":1,\"type\":\"exec\",\"id\":\"%s\",\"command\":\"x\",\"timeout_ms\":-%d}",
    "{\"v\":1,\"type\":\"exec\",\"id\":\"%s\",\"command\":\"x\",\"timeout_ms\":1e%d}",
    "{\"v\":%d,\"type\":\"exec\",\"id\":\"%s\",\"command\":\"x\"}",
    "{\"v\":1,\"type\":\"teleport\",\"id\":\"%s\"}",
    "{\"v\":1,\"type\":\"cancel\",\"id\":\"%s\",\"target\":%d}",
    "{\"v\":1,\"type\":\"cancel\",\"id\":\"%s\",\"target\":\"nothing-%d\"}",
    "{\"v\":1,\"type\":[\"exec\"],\"id\":\"%s\"}",
    "{\"v\":\"1\",\"type\":\"ping\",\"id\":\"%s\"}",
    "{\"v\":1,\"type\":\"ping\"}",
    "{\"v\":1,\"type\":\"ping\",\"id\":\"\"}",
    "[\"%s\"]",
    "\"%s\"",
    "null",
    "%d",
  };

  private final Random random;

  FrameFuzzer(long seed) {
    this.random = new Random(seed);
  }

  Input next() {
    int kind = random.nextInt(10);
    return switch (kind) {
      case 0 -> new Input(null, randomBytes(1 + random.nextInt(64)));
      case 1 -> new Input(garbage(1 + random.nextInt(200)), null);
      case 2 -> new Input("{".repeat(1 + random.nextInt(3000)), null);
      case 3 ->
          new Input(
              "{\"v\":1,\"type\":\"exec\",\"id\":\"big\",\"command\":\""
                  + "y".repeat(70_000)
                  + "\"}",
              null);
      case 4 -> {
        String valid = "{\"v\":1,\"type\":\"exec\",\"id\":\"t\",\"command\":\"echo\"}";
        yield new Input(valid.substring(0, random.nextInt(valid.length() - 1)), null);
      }
      default -> new Input(template(), null);
    };
  }

  private String template() {
    String t = TEMPLATES[random.nextInt(TEMPLATES.length)];
    String id = "f" + random.nextInt(1_000_000);
    int n = random.nextInt(1_000_000);
    return t.startsWith("{\"v\":%d")
        ? String.format(t, 2 + n, id)
        : t.contains("%s") ? String.format(t, id, n).replace("%d", "") : String.format(t, n);
  }

  private String garbage(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      int pick = random.nextInt(4);
      sb.append(
          switch (pick) {
            case 0 -> (char) (' ' + random.nextInt(95));
            case 1 -> (char) random.nextInt(0x3000);
            case 2 -> "{}[]\":,\\".charAt(random.nextInt(8));
            default -> (char) random.nextInt(32); // control characters
          });
    }
    return sb.toString();
  }

  private byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }
}
