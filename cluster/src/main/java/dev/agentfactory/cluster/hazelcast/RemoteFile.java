package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.sandbox.FileEntry;
import java.io.Serializable;
import java.time.Instant;

/** A {@link FileEntry} of a lent sandbox's workspace, on its way to the borrower. */
record RemoteFile(
    String path, String name, String type, long size, long modifiedSeconds, int modifiedNanos)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  static RemoteFile of(FileEntry entry) {
    return new RemoteFile(
        entry.path(),
        entry.name(),
        entry.type().name(),
        entry.size(),
        entry.modified().getEpochSecond(),
        entry.modified().getNano());
  }

  FileEntry entry() {
    return new FileEntry(
        path,
        name,
        FileEntry.Type.valueOf(type),
        size,
        Instant.ofEpochSecond(modifiedSeconds, modifiedNanos));
  }
}
