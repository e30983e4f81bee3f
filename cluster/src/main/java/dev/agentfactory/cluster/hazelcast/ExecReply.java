package dev.agentfactory.cluster.hazelcast;

import java.io.Serializable;
import java.util.List;

/**
 * How a command in a lent sandbox ended, sent back to the borrower once every chunk streamed before
 * it has been delivered.
 *
 * @param tail output produced after the last streamed batch: the borrower delivers it before it
 *     completes the command
 * @param outputLost the host could not deliver some output to the borrower (a streamed batch
 *     failed): the borrower reports the command failed rather than hand over a hole in the output
 * @param sandboxEnded the sandbox ended under the command (its pool terminated it, or init died):
 *     the host has ended the loan, and the borrower marks the sandbox lost before it completes
 */
record ExecReply(
    String status,
    int exitCode,
    long durationNanos,
    boolean truncated,
    List<OutputChunk> tail,
    boolean outputLost,
    boolean sandboxEnded)
    implements Serializable {

  // Java serialization matches a record by component name and waives the serialVersionUID check:
  // a reply of an older node without sandboxEnded reads as false, and an older node ignores it, so
  // nodes one version apart still exchange replies (checked by hand with two record versions; a
  // new component must keep that: a default that means "as before")
  private static final long serialVersionUID = 3L;
}
