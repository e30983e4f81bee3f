/*
 * af-launch: puts a sandbox into its cgroups and drops to its uid before the sandbox exists,
 * then execs it (bwrap, or af-init for the process driver).
 *
 * The JVM can neither fork into a cgroup nor pass a file descriptor or change uid between fork
 * and exec; this tiny launcher does all three and execs, so the sandbox and everything it forks
 * start inside the cgroups. It replaces `sh -c 'echo $$ > ...' setpriv ...`: one exec instead
 * of three per sandbox start.
 *
 * Usage: af-launch [--cgroup PROCS_FILE]... [--seccomp BPF_FILE] [--workspace DIR --size BYTES]
 *                  [--uid UID] -- PROGRAM ARGS...
 *
 *   --cgroup   write 0 ("this process") to the cgroup.procs file; repeat per hierarchy
 *   --seccomp  open the filter as fd 3, inherited by PROGRAM (for bwrap --seccomp 3)
 *   --workspace, --size
 *              mount a tmpfs of BYTES on DIR in the host's mount namespace (mode 0700, owned by
 *              UID, nosuid, nodev): the workspace's size cap. Saves the JVM spawning mount(8).
 *   --uid      drop all groups and become uid:gid UID (real, effective and saved)
 *
 * Any failure exits 125 with a message on stderr (the sandbox log), before PROGRAM runs.
 *
 * Usage: af-launch --unmount-server DIR
 *
 *   A long-lived helper, one per pool: reads workspace paths, one per line, from stdin and
 *   unmounts each (umount2, UMOUNT_NOFOLLOW; detached with MNT_DETACH if that fails with EBUSY),
 *   answering "ok" or "error <message>" per line. Only direct children of DIR (the pool's
 *   workspaces directory) are accepted. It saves the JVM spawning umount(8) on every close: one
 *   syscall (~0.15 ms) instead of a process (~15 ms on a loaded 2-core host). It exits when stdin closes or its parent dies.
 *
 * Usage: af-launch --launch-server SOCKET
 *
 *   A long-lived pre-forked launcher ("zygote"), one per pool: the JVM sends start requests on
 *   stdin, the server forks a child per request that connects to the JVM's unix socket SOCKET
 *   (its stdin and stdout become that connection: af-init's protocol channel), sends the request's
 *   8-byte token on it, opens the request's log as stderr and then does exactly what a plain
 *   `af-launch OPTIONS -- PROGRAM` does. The JVM thus starts a sandbox without spawning a process
 *   itself (no posix_spawn of the JVM, no jspawnhelper exec, no af-launch exec): one fork of this
 *   small static process and the exec of PROGRAM.
 *
 *   Request: a 4-byte big-endian length, then that many bytes of NUL-terminated strings: token
 *   (decimal), log path, working directory ("" for the server's), argc (decimal), argc argument
 *   strings (the af-launch argv, starting with its own path), then the environment (KEY=VALUE).
 *   Replies, one line each: "started TOKEN PID", "failed TOKEN MESSAGE" (no child),
 *   "exit PID STATUS" (a child, or an orphan it reaped as subreaper; STATUS as from waitpid).
 *   It exits when stdin closes or its parent dies; its children (bwrap --die-with-parent) die
 *   with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECCOMP_FD 3

static void fail(const char *what, const char *arg) {
  fprintf(stderr, "af-launch: %s %s: %s\n", what, arg, strerror(errno));
  exit(125);
}

/* Whether PATH names an entry directly below DIR: DIR "/" NAME, NAME without '/', not . or .. */
static int direct_child(const char *dir, const char *path) {
  size_t n = strlen(dir);
  if (strncmp(path, dir, n) != 0 || path[n] != '/') return 0;
  const char *name = path + n + 1;
  return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
         strcmp(name, "..") != 0;
}

static int unmount_server(const char *dir) {
  /* The JVM that started us is the only client; without it there is nothing to serve. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0;
  char line[4096];
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t len = strlen(line);
    if (len == 0 || line[len - 1] != '\n') {
      printf("error line too long\n");
    } else {
      line[len - 1] = '\0';
      /* EBUSY: the agent still holds something in it (a file thread blocked in open() on a FIFO
       * the sandbox swapped in). Its processes are dead by now, so detach it: the tmpfs goes with
       * the last reference, and the JVM can release the sandbox's uid. */
      if (!direct_child(dir, line)) {
        printf("error not a workspace below %s: %s\n", dir, line);
      } else if (umount2(line, UMOUNT_NOFOLLOW) < 0 &&
                 (errno != EBUSY || umount2(line, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)) {
        printf("error %s\n", strerror(errno));
      } else {
        printf("ok\n");
      }
    }
    fflush(stdout);
  }
  return 0;
}

static int launch_server(const char *socket_path);

/* What `af-launch OPTIONS -- PROGRAM ARGS` does: joins, mounts, drops and execs; never returns. */
static int launch(int argc, char **argv) {
  long uid = -1;
  pid_t parent = getppid();
  const char *workspace = NULL, *size = NULL;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc) {
      errno = EINVAL;
      fail("missing value for", argv[i]);
    }
    if (strcmp(argv[i], "--cgroup") == 0) {
      int fd = open(argv[++i], O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1) fail("cannot join cgroup", argv[i]);
      close(fd);
    } else if (strcmp(argv[i], "--seccomp") == 0) {
      int fd = open(argv[++i], O_RDONLY);
      if (fd < 0) fail("cannot open seccomp filter", argv[i]);
      if (fd != SECCOMP_FD) {
        if (dup2(fd, SECCOMP_FD) < 0) fail("cannot dup seccomp filter", argv[i]);
        close(fd);
      }
    } else if (strcmp(argv[i], "--workspace") == 0) {
      workspace = argv[++i];
    } else if (strcmp(argv[i], "--size") == 0) {
      size = argv[++i];
    } else if (strcmp(argv[i], "--uid") == 0) {
      char *end;
      uid = strtol(argv[++i], &end, 10);
      if (*end != '\0' || uid <= 0) {
        errno = EINVAL;
        fail("bad uid", argv[i]);
      }
    } else {
      errno = EINVAL;
      fail("unknown option", argv[i]);
    }
  }
  if (i >= argc) {
    errno = EINVAL;
    fail("no program after", "--");
  }
  if (workspace != NULL) {
    char opts[128];
    long owner = uid > 0 ? uid : (long)getuid();
    if (size == NULL || strlen(size) > 20) {
      errno = EINVAL;
      fail("--workspace needs --size", workspace);
    }
    snprintf(opts, sizeof opts, "size=%s,mode=0700,uid=%ld,gid=%ld", size, owner, owner);
    if (mount("af-workspace", workspace, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
      fail("cannot mount the workspace tmpfs on", workspace);
  }
  if (uid > 0) {
    if (setgroups(0, NULL) < 0) fail("setgroups", "");
    if (setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) < 0) fail("setresgid", argv[i]);
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) fail("setresuid", argv[i]);
    /* The uid change cleared the parent-death signal: set it again, and leave if the parent
     * (the JVM or the launch server) is already gone. bwrap --die-with-parent sets its own. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) exit(125);
  }
  execv(argv[i], &argv[i]);
  fail("cannot exec", argv[i]);
  return 125;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--unmount-server") == 0) {
    return unmount_server(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "--launch-server") == 0) {
    return launch_server(argv[2]);
  }
  return launch(argc, argv);
}

/* ---- the launch server ---- */

static void write_line(const char *line) {
  size_t len = strlen(line);
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, line, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(0); /* the JVM is gone */
    }
    line += n;
    len -= (size_t)n;
  }
}

/* In the forked child: becomes the sandbox's launcher for one request; never returns. */
static void start_child(const char *socket_path, uint64_t token, const char *log, const char *cwd,
                        int argc, char **argv, char **envp) {
  /* Dies with the server until bwrap takes over (--die-with-parent) */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (fd < 0 || strlen(socket_path) >= sizeof addr.sun_path) _exit(125);
  strcpy(addr.sun_path, socket_path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) _exit(125);
  unsigned char t[8];
  for (int b = 0; b < 8; b++) t[b] = (unsigned char)(token >> (56 - 8 * b));
  if (write(fd, t, sizeof t) != (ssize_t)sizeof t) _exit(125);
  int logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (logfd < 0) _exit(125);
  /* dup2 clears close-on-exec on the copies: exactly fds 0, 1 and 2 reach PROGRAM */
  if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
      dup2(logfd, STDERR_FILENO) < 0)
    _exit(125);
  close(fd);
  close(logfd);
  if (cwd[0] != '\0' && chdir(cwd) < 0) fail("cannot chdir to", cwd);
  environ = envp;
  launch(argc, argv);
  _exit(125);
}

/* Parses one request and forks its child; replies "started" or "failed". */
static void serve_request(const char *socket_path, char *p, uint32_t len) {
  char *end = p + len;
  char *fields[4];
  char reply[256];
  if (len == 0 || end[-1] != '\0') {
    write_line("failed 0 malformed request\n");
    return;
  }
  for (int f = 0; f < 4; f++) {
    if (p >= end) {
      write_line("failed 0 malformed request\n");
      return;
    }
    fields[f] = p;
    p += strlen(p) + 1;
  }
  char *e1, *e2;
  unsigned long long token = strtoull(fields[0], &e1, 10);
  long argc = strtol(fields[3], &e2, 10);
  if (*e1 != '\0' || *e2 != '\0' || argc < 1 || argc > (long)len) {
    write_line("failed 0 malformed request\n");
    return;
  }
  size_t rest = 0;
  for (char *q = p; q < end; q += strlen(q) + 1) rest++;
  if ((size_t)argc > rest) {
    snprintf(reply, sizeof reply, "failed %llu malformed request: argc\n", token);
    write_line(reply);
    return;
  }
  /* Both arrays point into the request buffer, which the child gets a copy of with fork */
  char **argv = calloc((size_t)argc + 1, sizeof(char *));
  char **envp = calloc(rest - (size_t)argc + 1, sizeof(char *));
  if (argv == NULL || envp == NULL) {
    snprintf(reply, sizeof reply, "failed %llu out of memory\n", token);
    write_line(reply);
    free(argv);
    free(envp);
    return;
  }
  size_t n = 0;
  for (char *q = p; q < end; q += strlen(q) + 1, n++) {
    if (n < (size_t)argc) {
      argv[n] = q;
    } else {
      envp[n - (size_t)argc] = q;
    }
  }
  pid_t pid = fork();
  if (pid == 0) {
    start_child(socket_path, (uint64_t)token, fields[1], fields[2], (int)argc, argv, envp);
  }
  int saved = errno;
  free(argv);
  free(envp);
  if (pid < 0) {
    snprintf(reply, sizeof reply, "failed %llu fork: %s\n", token, strerror(saved));
  } else {
    snprintf(reply, sizeof reply, "started %llu %ld\n", token, (long)pid);
  }
  write_line(reply);
}

static int launch_server(const char *socket_path) {
  /* The JVM that started us is the only client; without it there is nothing to serve, and the
   * sandboxes started here (bwrap --die-with-parent) go with us. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0;
  /* Orphans of a sandbox whose bwrap died are reaped here, not by the host's (slow) init */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) return 125;
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return 125;
  /* The server's own pipes must not reach a sandbox: each child replaces 0, 1, 2 anyway */
  fcntl(STDIN_FILENO, F_SETFD, FD_CLOEXEC);
  fcntl(STDOUT_FILENO, F_SETFD, FD_CLOEXEC);
  size_t cap = 65536, have = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return 125;
  for (;;) {
    struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 125;
    }
    if (fds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        char line[64];
        snprintf(line, sizeof line, "exit %ld %d\n", (long)pid, status);
        write_line(line);
      }
    }
    if (fds[0].revents) {
      if (cap - have < 4096) {
        cap *= 2;
        char *bigger = realloc(buf, cap);
        if (bigger == NULL) return 125;
        buf = bigger;
      }
      ssize_t n = read(STDIN_FILENO, buf + have, cap - have);
      if (n == 0) return 0; /* the JVM closed the pool */
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return 0;
      }
      have += (size_t)n;
      size_t off = 0;
      while (have - off >= 4) {
        unsigned char *h = (unsigned char *)buf + off;
        uint32_t len =
            ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
        if (len > (16u << 20)) {
          write_line("failed 0 request too large\n");
          return 125;
        }
        if (have - off - 4 < len) break;
        serve_request(socket_path, buf + off + 4, len);
        off += 4 + len;
      }
      memmove(buf, buf + off, have - off);
      have -= off;
    }
  }
}
