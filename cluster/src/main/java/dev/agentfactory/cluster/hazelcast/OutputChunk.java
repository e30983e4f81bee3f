package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.sandbox.OutputListener;
import java.io.Serializable;

/** One piece of a lent sandbox's command output, on its way to the borrower. */
record OutputChunk(boolean stderr, byte[] data) implements Serializable {

  private static final long serialVersionUID = 1L;

  static OutputChunk of(OutputListener.Stream stream, byte[] data) {
    return new OutputChunk(stream == OutputListener.Stream.STDERR, data);
  }

  OutputListener.Stream stream() {
    return stderr ? OutputListener.Stream.STDERR : OutputListener.Stream.STDOUT;
  }
}
