package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.OutputListener;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Collects each stream's output, for assertions. */
final class CollectingListener implements OutputListener {

  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

  @Override
  public synchronized void onOutput(Stream stream, byte[] chunk) {
    (stream == Stream.STDOUT ? stdout : stderr).writeBytes(chunk);
  }

  synchronized String stdout() {
    return stdout.toString(StandardCharsets.UTF_8);
  }

  synchronized String stderr() {
    return stderr.toString(StandardCharsets.UTF_8);
  }

  synchronized int stdoutBytes() {
    return stdout.size();
  }
}
