package dev.agentfactory.sandbox.driver;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The syscall filter of namespace sandboxes, as a classic BPF program for {@code bwrap --seccomp}.
 * Hand-written rather than built with libseccomp so the build needs no extra native package: the
 * program is a flat deny list, short enough to read.
 *
 * <p>Denied with {@code EPERM}: debugging other processes, mounting, new namespaces, kernel
 * keyrings, BPF, perf, loading kernels or modules, and the other calls Docker's default profile
 * refuses that a build or a test never needs. {@code clone3} answers {@code ENOSYS} (its flags sit
 * in memory a filter cannot read), so libc falls back to {@code clone}, whose namespace flags are
 * checked. Other ABIs (i386, x32) on x86-64 are refused outright, or a process could dodge the list
 * through the other syscall table.
 *
 * <p>x86-64 only; {@link #forHost()} is empty on other architectures and the pool reports seccomp
 * as unavailable.
 */
public final class SeccompFilter {

  /** Syscall name to x86-64 number. */
  static final Map<String, Integer> DENIED_X86_64 = new LinkedHashMap<>();

  static {
    DENIED_X86_64.put("ptrace", 101);
    DENIED_X86_64.put("process_vm_readv", 310);
    DENIED_X86_64.put("process_vm_writev", 311);
    DENIED_X86_64.put("mount", 165);
    DENIED_X86_64.put("umount2", 166);
    DENIED_X86_64.put("pivot_root", 155);
    DENIED_X86_64.put("chroot", 161);
    DENIED_X86_64.put("open_tree", 428);
    DENIED_X86_64.put("move_mount", 429);
    DENIED_X86_64.put("fsopen", 430);
    DENIED_X86_64.put("fsconfig", 431);
    DENIED_X86_64.put("fsmount", 432);
    DENIED_X86_64.put("fspick", 433);
    DENIED_X86_64.put("mount_setattr", 442);
    DENIED_X86_64.put("unshare", 272);
    DENIED_X86_64.put("setns", 308);
    DENIED_X86_64.put("keyctl", 250);
    DENIED_X86_64.put("add_key", 248);
    DENIED_X86_64.put("request_key", 249);
    DENIED_X86_64.put("bpf", 321);
    DENIED_X86_64.put("perf_event_open", 298);
    DENIED_X86_64.put("userfaultfd", 323);
    DENIED_X86_64.put("kexec_load", 246);
    DENIED_X86_64.put("kexec_file_load", 320);
    DENIED_X86_64.put("init_module", 175);
    DENIED_X86_64.put("finit_module", 313);
    DENIED_X86_64.put("delete_module", 176);
    DENIED_X86_64.put("reboot", 169);
    DENIED_X86_64.put("swapon", 167);
    DENIED_X86_64.put("swapoff", 168);
    DENIED_X86_64.put("acct", 163);
    DENIED_X86_64.put("syslog", 103);
    DENIED_X86_64.put("open_by_handle_at", 304);
    DENIED_X86_64.put("name_to_handle_at", 303);
    DENIED_X86_64.put("settimeofday", 164);
    DENIED_X86_64.put("clock_settime", 227);
    DENIED_X86_64.put("clock_adjtime", 305);
    DENIED_X86_64.put("adjtimex", 159);
    DENIED_X86_64.put("quotactl", 179);
    DENIED_X86_64.put("iopl", 172);
    DENIED_X86_64.put("ioperm", 173);
    DENIED_X86_64.put("lookup_dcookie", 212);
    DENIED_X86_64.put("vhangup", 153);
  }

  static final int NR_CLONE = 56;
  static final int NR_CLONE3 = 435;

  /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME. */
  static final int CLONE_NAMESPACE_FLAGS =
      0x00020000
          | 0x02000000
          | 0x04000000
          | 0x08000000
          | 0x10000000
          | 0x20000000
          | 0x40000000
          | 0x00000080;

  private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
  private static final int X32_SYSCALL_BIT = 0x40000000;
  private static final int RET_KILL_PROCESS = 0x80000000;
  private static final int RET_ERRNO = 0x00050000;
  private static final int RET_ALLOW = 0x7fff0000;
  private static final int EPERM = 1;
  private static final int ENOSYS = 38;

  private static final short LD_W_ABS = 0x20;
  private static final short JEQ_K = 0x15;
  private static final short JGE_K = 0x35;
  private static final short JSET_K = 0x45;
  private static final short RET_K = 0x06;

  // struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6]
  private static final int OFF_NR = 0;
  private static final int OFF_ARCH = 4;
  private static final int OFF_ARG0_LOW = 16;

  private SeccompFilter() {}

  /** The program for this host, or empty when its architecture has no syscall table here. */
  public static Optional<byte[]> forHost() {
    String arch = System.getProperty("os.arch");
    return arch.equals("amd64") || arch.equals("x86_64") ? Optional.of(x86_64()) : Optional.empty();
  }

  /** Writes the program for this host to {@code file}, readable by every sandbox uid. */
  public static Optional<Path> writeTo(Path file) {
    Optional<byte[]> program = forHost();
    if (program.isEmpty()) {
      return Optional.empty();
    }
    try {
      Path tmp = Files.createTempFile(file.getParent(), "seccomp", ".tmp");
      Files.write(tmp, program.get());
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return Optional.of(file);
    } catch (IOException e) {
      throw new SandboxException(
          "seccomp_failed", "cannot write the seccomp filter to " + file + ": " + e, false, e);
    }
  }

  static byte[] x86_64() {
    Program p = new Program();
    p.add(LD_W_ABS, 0, 0, OFF_ARCH);
    p.add(JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
    p.add(RET_K, 0, 0, RET_KILL_PROCESS);
    p.add(LD_W_ABS, 0, 0, OFF_NR);
    p.add(JGE_K, 0, 1, X32_SYSCALL_BIT);
    p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
    for (int nr : DENIED_X86_64.values()) {
      p.add(JEQ_K, 0, 1, nr);
      p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
    }
    p.add(JEQ_K, 0, 1, NR_CLONE3);
    p.add(RET_K, 0, 0, RET_ERRNO | ENOSYS);
    // clone: refuse namespace flags in its first argument (the low 32 bits hold them)
    p.add(JEQ_K, 0, 3, NR_CLONE);
    p.add(LD_W_ABS, 0, 0, OFF_ARG0_LOW);
    p.add(JSET_K, 0, 1, CLONE_NAMESPACE_FLAGS);
    p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
    p.add(RET_K, 0, 0, RET_ALLOW);
    return p.bytes();
  }

  /** struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, in the host's byte order. */
  private static final class Program {
    private final ByteBuffer buf = ByteBuffer.allocate(8 * 256).order(ByteOrder.nativeOrder());

    void add(short code, int jt, int jf, int k) {
      buf.putShort(code).put((byte) jt).put((byte) jf).putInt(k);
    }

    byte[] bytes() {
      byte[] out = new byte[buf.position()];
      buf.flip().get(out);
      return out;
    }
  }
}
