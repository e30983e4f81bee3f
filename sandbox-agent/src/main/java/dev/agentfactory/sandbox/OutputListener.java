package dev.agentfactory.sandbox;

/** Receives output chunks of a running command, in order, per stream. */
@FunctionalInterface
public interface OutputListener {

  /** Which stream a chunk came from. */
  enum Stream {
    STDOUT,
    STDERR
  }

  void onOutput(Stream stream, byte[] chunk);

  OutputListener IGNORE = (stream, chunk) -> {};
}
