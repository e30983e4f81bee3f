package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files a sandbox starts with, written by the agent into its workspace and owned by the
 * sandbox's uid: its template's seed files at launch, and the claim-time files of a lease.
 */
final class WorkspaceSeed {

  private WorkspaceSeed() {}

  static void seed(Map<String, String> files, Path workspace, int uid) throws IOException {
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path target = workspace.resolve(f.getKey());
      // The workspace is fresh and nothing has run in it yet: no links to follow
      for (Path dir = target.getParent(); !dir.equals(workspace); dir = dir.getParent()) {
        if (!Files.exists(dir)) {
          Files.createDirectories(dir);
          Files.setAttribute(dir, "unix:uid", uid);
          Files.setAttribute(dir, "unix:gid", uid);
        }
      }
      Files.writeString(target, f.getValue(), StandardCharsets.UTF_8);
      Files.setAttribute(target, "unix:uid", uid);
      Files.setAttribute(target, "unix:gid", uid);
    }
  }

  /**
   * Writes claim-time files into a ready sandbox's workspace, owned by its uid. Nothing has run in
   * a warm sandbox yet, but links are refused anyway: no path component may be a symbolic link and
   * the file itself is opened without following one.
   */
  static void writeFiles(Incarnation inc, Map<String, String> files, boolean chown) {
    Path workspace = inc.workspace();
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path target = workspace.resolve(f.getKey()).normalize();
      try {
        if (!target.startsWith(workspace) || target.equals(workspace)) {
          throw new IOException("outside the workspace");
        }
        List<Path> parents = new ArrayList<>();
        for (Path dir = target.getParent(); !dir.equals(workspace); dir = dir.getParent()) {
          parents.add(0, dir);
        }
        for (Path dir : parents) {
          if (Files.isSymbolicLink(dir)) {
            throw new IOException(dir + " is a symbolic link");
          }
          if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir);
            if (chown) {
              Files.setAttribute(dir, "unix:uid", inc.uid(), LinkOption.NOFOLLOW_LINKS);
              Files.setAttribute(dir, "unix:gid", inc.uid(), LinkOption.NOFOLLOW_LINKS);
            }
          }
        }
        try (var out =
            Files.newOutputStream(
                target,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
          out.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        }
        if (chown) {
          Files.setAttribute(target, "unix:uid", inc.uid(), LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(target, "unix:gid", inc.uid(), LinkOption.NOFOLLOW_LINKS);
        }
      } catch (IOException e) {
        throw new SandboxException(
            "lease_files_failed", "cannot write files['" + f.getKey() + "']: " + e, false, e);
      }
    }
  }
}
