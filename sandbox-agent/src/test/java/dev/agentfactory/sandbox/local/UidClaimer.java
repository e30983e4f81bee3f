package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A second process for {@link UidAllocatorIT}: claims one uid of a range with its own allocator,
 * prints {@code claimed <uid>} (or {@code exhausted}) and holds it until killed or stdin closes.
 *
 * <p>Arguments: lock dir, uid base, uid count.
 */
public final class UidClaimer {

  private UidClaimer() {}

  public static void main(String[] args) throws IOException {
    UidAllocator uids =
        new UidAllocator(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[0]));
    try {
      System.out.println("claimed " + uids.allocate());
    } catch (SandboxException e) {
      System.out.println(e.code().equals("capacity_exhausted") ? "exhausted" : e.toString());
    }
    System.out.flush();
    while (System.in.read() != -1) {
      // hold the claim until the test kills this process or closes its stdin
    }
  }
}
