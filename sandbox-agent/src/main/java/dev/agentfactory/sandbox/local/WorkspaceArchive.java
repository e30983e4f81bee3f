package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.driver.IsolationDriver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A sandbox's workspace as a tar archive, for hibernation: written from a frozen sandbox, read back
 * into the fresh workspace of its next incarnation. tar runs with no more rights than the sandbox's
 * own over its files.
 */
final class WorkspaceArchive {

  private final IsolationDriver driver;

  WorkspaceArchive(IsolationDriver driver) {
    this.driver = driver;
  }

  /**
   * Writes the workspace into a tar archive. {@code --sparse}: holes are stored as holes, so a
   * {@code truncate -s 1T} file (which a size-capped tmpfs allows) costs a few bytes on the host's
   * disk, not a terabyte of zeros; extraction recreates the holes.
   *
   * <p>tar has the rights of the owner of the sandbox's files over them and none over anything else
   * ({@link #asOwnerOfItsFiles}): whatever the sandbox made unreadable for itself ({@code chmod
   * 000} on a file or directory) is archived with its mode, and no host file becomes readable. It
   * never follows a link (no {@code -h}: each name is opened relative to its directory with {@code
   * O_NOFOLLOW}) and stays on the workspace's file system ({@code --one-file-system}).
   *
   * <p>The agent's own directories in the workspace root are left out: the private staging
   * directories of workspace writes ({@link WorkspaceFiles#agentDirectories}). They hold half a
   * write and are transient; being the agent's, not the sandbox's, tar could not open them either
   * (it would fail the whole archive). Each is named exactly ({@code --no-wildcards --anchored}),
   * so a directory of the sandbox's own with a staging-like name is archived like any other. The
   * caller has frozen the sandbox and drained the file operations: no directory is renamed or
   * created between the listing and tar.
   */
  void archive(Incarnation inc, Path archive) {
    List<String> tar =
        new ArrayList<>(
            List.of(
                "tar",
                "--sparse",
                "--one-file-system",
                "-C",
                inc.workspace().toString(),
                "-cf",
                "-"));
    if (driver.usesUidPerSandbox()) {
      List<String> skip = WorkspaceFiles.agentDirectories(inc.workspace());
      if (!skip.isEmpty()) {
        tar.add("--anchored");
        tar.add("--no-wildcards");
        for (String name : skip) {
          tar.add("--exclude=./" + name);
        }
      }
    }
    tar.add(".");
    SandboxLauncher.run(asOwnerOfItsFiles(inc.uid(), tar), null, archive);
  }

  /**
   * Fills a fresh workspace from an archive, as the new sandbox uid: nothing is written that this
   * uid could not write itself. {@code --preserve-permissions}: modes exactly as archived, not
   * narrowed by the agent's umask. {@code --delay-directory-restore}: a directory's mode is set
   * only at the end, so a locked ({@code 000}) directory is still open while the rest of the
   * archive goes in (a hard link whose first name is inside it comes later in the archive).
   */
  void restore(Path archive, Path workspace, int uid) {
    SandboxLauncher.run(
        asUid(
            uid,
            List.of(
                "tar",
                "--preserve-permissions",
                "--delay-directory-restore",
                "-C",
                workspace.toString(),
                "-xf",
                "-")),
        archive,
        null);
  }

  /**
   * Runs {@code command} as the sandbox's uid, in a user namespace of its own where that uid is
   * root ({@code unshare --map-root-user}). Its capabilities there override permissions only on
   * inodes whose owner and group are mapped, i.e. the sandbox's own files (the workspace, its seeds
   * and written files all belong to the uid and its group): it reads a file the sandbox locked for
   * itself, which the sandbox could unlock anyway, and gains nothing over a host file, not even
   * through a link or a race (a plain uid with an ambient {@code CAP_DAC_READ_SEARCH} would read
   * every file on the host, and could open files by handle). bwrap needs unprivileged user
   * namespaces already, so wherever sandboxes have their own uid this is available.
   */
  private List<String> asOwnerOfItsFiles(int uid, List<String> command) {
    if (!driver.usesUidPerSandbox()) {
      return command;
    }
    List<String> cmd = new ArrayList<>(List.of("unshare", "--user", "--map-root-user", "--"));
    cmd.addAll(command);
    return asUid(uid, cmd);
  }

  private List<String> asUid(int uid, List<String> command) {
    if (!driver.usesUidPerSandbox()) {
      return command;
    }
    // Tar never acts with more rights than the sandbox had, whatever its workspace contains
    List<String> cmd =
        new ArrayList<>(
            List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"));
    cmd.addAll(command);
    return cmd;
  }
}
