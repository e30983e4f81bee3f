package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DescendantsTest {

  @Test
  void findsChildrenAndGrandchildrenLikeTheFullProcessScan() throws Exception {
    Process sh = new ProcessBuilder("sh", "-c", "sleep 30 & (sleep 30 & wait) & wait").start();
    try {
      ProcessHandle root = sh.toHandle();
      // sleep, the subshell and its sleep
      assertThat(
              HostProcesses.eventually(
                  Duration.ofSeconds(10), () -> root.descendants().count() == 3))
          .isTrue();

      List<Long> fast = ProcessTree.descendants(root).stream().map(ProcessHandle::pid).toList();

      assertThat(fast)
          .containsExactlyInAnyOrderElementsOf(root.descendants().map(ProcessHandle::pid).toList());
    } finally {
      sh.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      sh.destroyForcibly().waitFor();
    }
  }
}
