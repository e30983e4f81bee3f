package dev.agentfactory.cluster.hazelcast;

import java.io.Serializable;

/** How a command in a lent sandbox ended, with its output, sent back to the borrower. */
record ExecReply(
    String status,
    int exitCode,
    long durationNanos,
    boolean truncated,
    byte[] stdout,
    byte[] stderr)
    implements Serializable {

  private static final long serialVersionUID = 1L;
}
