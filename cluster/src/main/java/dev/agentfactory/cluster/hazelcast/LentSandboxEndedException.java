package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.sandbox.SandboxException;

/**
 * A host's answer to a call on a lent sandbox that has ended there (its pool terminated it at its
 * template's lifetime or idle limit, or init died): the sandbox's own failure, code and message as
 * a local caller would see them, marked so that the borrower knows the sandbox is gone for good.
 * The host has ended the loan and freed its lease record by then.
 *
 * <p>Deliberately without a {@code (String)} or {@code (String, Throwable)} constructor: Hazelcast
 * re-creates remote exceptions through those, which would drop the code.
 */
final class LentSandboxEndedException extends SandboxException {

  private static final long serialVersionUID = 1L;

  LentSandboxEndedException(String code, String message, boolean retriable) {
    super(code, message, retriable);
  }
}
