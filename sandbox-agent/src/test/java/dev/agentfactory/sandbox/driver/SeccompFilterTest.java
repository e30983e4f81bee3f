package dev.agentfactory.sandbox.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SeccompFilterTest {

  @Test
  void programIsWholeInstructionsAndEndsByAllowing() {
    byte[] program = SeccompFilter.x86_64();

    assertThat(program.length % 8).isZero();
    // 6 header + 2 per denied call + 2 for clone3 + 5 for clone
    assertThat(program.length / 8).isEqualTo(6 + 2 * SeccompFilter.DENIED_X86_64.size() + 2 + 5);
    assertThat(program.length / 8).isLessThan(4096);
  }

  @Test
  void deniesTheCallsThatBreakIsolation() {
    assertThat(SeccompFilter.DENIED_X86_64)
        .containsKeys(
            "ptrace",
            "mount",
            "umount2",
            "unshare",
            "setns",
            "keyctl",
            "bpf",
            "perf_event_open",
            "kexec_load",
            "init_module",
            "finit_module");
  }

  @Test
  void criuVersionsBefore41AreNotUsable() {
    assertThat(CriuProbe.versionReason("Version: 3.17.1\n")).isPresent();
    assertThat(CriuProbe.versionReason("Version: 4.1\n")).isEqualTo(Optional.empty());
    assertThat(CriuProbe.versionReason("garbage")).isPresent();
  }

  @Test
  void vmDriverWithoutKvmSaysSo() {
    VmDriver vm = new VmDriver(java.nio.file.Path.of("/no/such/kvm"));

    assertThat(vm.unavailableReason())
        .hasValueSatisfying(r -> assertThat(r).contains("/no/such/kvm"));
    assertThat(vm.capabilities().pause()).isFalse();
  }
}
