package dev.agentfactory.sandbox.local;

/** Shell snippets that leave a process running in a sandbox after the command ends. */
final class BackgroundJob {

  private BackgroundJob() {}

  /**
   * A script that starts {@code script} in its own session (so af-init's kill of the command's
   * process group misses it) and returns once it runs: without the wait, the group kill can land
   * before {@code setsid()} did.
   */
  static String start(String script) {
    String flag = "/tmp/.started-" + Integer.toHexString(script.hashCode());
    return "setsid sh -c 'touch "
        + flag
        + "; "
        + script
        + "' >/dev/null 2>&1 & while [ ! -e "
        + flag
        + " ]; do sleep 0.01; done";
  }
}
