/*
 * af-init: the first process of an Agent Factory sandbox.
 *
 * bubblewrap starts it as PID 1 of the sandbox's pid namespace (--as-pid-1). The JVM holds its
 * stdin and stdout; everything between them is length-prefixed binary frames:
 *
 *   [u8 type][u32 big-endian payload length][payload]
 *
 * host -> init
 *   EXEC   0x01  u32 argc, then argc NUL-terminated argv strings, then NUL-terminated KEY=VALUE
 *                env strings up to the end of the payload
 *   KILL   0x02  empty: SIGKILL the running command's process group
 * init -> host
 *   READY  0x10  empty, sent once when init is ready to take commands
 *   STDOUT 0x11  a chunk of the command's stdout
 *   STDERR 0x12  a chunk of the command's stderr
 *   EXIT   0x13  u8 kind (0 exited, 1 killed by signal), u32 code or signal number
 *   ERROR  0x14  a UTF-8 message: a request init could not run (busy, malformed, fork failed)
 *
 * Timeouts are enforced by the host (it sends KILL), so init needs no clock.
 *
 * Why a custom init at all: PID 1 must reap orphans (nothing else will inside a pid namespace),
 * and a single long-lived process that forks per command is much cheaper than a bwrap per command.
 *
 * Usage: af-init [--relay PORT SOCKET] [workspace-dir]
 *   workspace-dir defaults to /workspace; the process driver passes a host path.
 *   --relay: before READY, listen on 127.0.0.1:PORT and fork a relay that connects every accepted
 *   connection to the unix socket SOCKET (the host's egress proxy, bound into the sandbox) and
 *   copies bytes both ways. The sandbox has no other way out: its network namespace holds only
 *   loopback, and the policy is enforced by the proxy on the host, never here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
  F_EXEC = 0x01,
  F_KILL = 0x02,
  F_READY = 0x10,
  F_STDOUT = 0x11,
  F_STDERR = 0x12,
  F_EXIT = 0x13,
  F_ERROR = 0x14,
};

/* A request larger than this is a protocol error, not a command line. */
#define MAX_FRAME (4u << 20)
/* After the command's leader exits, give straggling pipe writers this long before reporting. */
#define DRAIN_MS 200

static const char *workspace = "/workspace";
/* Every command's stdin, opened once (close-on-exec: only the dup2'd copy reaches a command) */
static int devnull_fd = -1;

/* The running command: its pid (== process group id) and its output pipes. */
static pid_t child = -1;
static int out_fd = -1, err_fd = -1;
static int child_status;
static int child_done;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void die(const char *what) {
  /* stderr is the sandbox log on the host side, never the protocol channel. */
  fprintf(stderr, "af-init: %s: %s\n", what, strerror(errno));
  exit(111);
}

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* The host is gone; exiting as PID 1 tears the whole namespace down, which is right. */
      exit(0);
    }
    p += n;
    len -= (size_t)n;
  }
}

/* Header and payload in one writev: two writes would wake the host's reader twice per frame. */
static void send_frame(uint8_t type, const void *payload, uint32_t len) {
  unsigned char hdr[5] = {type, len >> 24, len >> 16, len >> 8, len};
  struct iovec iov[2] = {{.iov_base = hdr, .iov_len = sizeof hdr},
                         {.iov_base = (void *)payload, .iov_len = len}};
  ssize_t n;
  do {
    n = writev(STDOUT_FILENO, iov, len > 0 ? 2 : 1);
  } while (n < 0 && errno == EINTR);
  if (n < 0) exit(0); /* the host is gone, as in write_all */
  /* A partial write (a full pipe): the rest the slow way */
  size_t done = (size_t)n;
  if (done < sizeof hdr) {
    write_all(STDOUT_FILENO, hdr + done, sizeof hdr - done);
    done = sizeof hdr;
  }
  if (done - sizeof hdr < len) {
    write_all(STDOUT_FILENO, (const char *)payload + (done - sizeof hdr), len - (done - sizeof hdr));
  }
}

static void send_error(const char *msg) { send_frame(F_ERROR, msg, (uint32_t)strlen(msg)); }

static void send_exit(int status) {
  unsigned char p[5];
  uint32_t code;
  if (WIFSIGNALED(status)) {
    p[0] = 1;
    code = (uint32_t)WTERMSIG(status);
  } else {
    p[0] = 0;
    code = (uint32_t)WEXITSTATUS(status);
  }
  p[1] = code >> 24;
  p[2] = code >> 16;
  p[3] = code >> 8;
  p[4] = code;
  send_frame(F_EXIT, p, sizeof p);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* In a vfork child: "af-init: WHAT ARG: strerror" on its stderr, without stdio (no malloc, no
 * buffers shared with init). */
static void child_error(const char *what, const char *arg) {
  const char *reason = strerror(errno);
  const char *parts[] = {"af-init: ", what, " ", arg, ": ", reason, "\n"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    ssize_t ignored = write(STDERR_FILENO, parts[i], strlen(parts[i]));
    (void)ignored;
  }
}

/* The command's environment: init's own with the EXEC frame's KEY=VALUE strings (from start up to
 * end) set on top, as putenv() would (a string without '=' removes that name). The array points
 * into environ and the payload; free() only the array. */
static char **command_env(char *start, char *end) {
  size_t n = 0, extra = 0;
  while (environ[n] != NULL) n++;
  for (char *e = start; e < end; e += strlen(e) + 1) extra++;
  char **env = malloc((n + extra + 1) * sizeof(char *));
  if (env == NULL) return NULL;
  memcpy(env, environ, n * sizeof(char *));
  for (char *e = start; e < end; e += strlen(e) + 1) {
    if (*e == '\0') continue;
    char *eq = strchr(e, '=');
    size_t key = eq != NULL ? (size_t)(eq - e) : strlen(e);
    size_t i = 0;
    while (i < n && !(strncmp(env[i], e, key) == 0 && env[i][key] == '=')) i++;
    if (eq == NULL) {
      if (i < n) env[i] = env[--n];
    } else if (i < n) {
      env[i] = e;
    } else {
      env[n++] = e;
    }
  }
  env[n] = NULL;
  return env;
}

/* Starts argv with environment envp, stdout and stderr on the given pipe ends, in its own process
 * group; returns its pid or -1. */
static pid_t __attribute__((noinline)) spawn_child(char **argv, char **envp, int out_w, int err_w) {
  /* vfork, not fork: no copy of init's page tables and no copy-on-write faults in init afterwards,
   * which is most of the cost of starting a command on a host where page-table updates are
   * expensive (nested virtualisation). The child shares init's memory until it execs, so it only
   * makes system calls on its own stack and never writes init's data. execvp() resolves the command
   * with the command's PATH and hands it the command's environment through `environ`, which init
   * points at `envp` for exactly as long as it is suspended here (init is single-threaded). */
  char **saved_environ = environ;
  environ = envp;
  pid_t pid = vfork();
  if (pid == 0) {
    /* Own process group: KILL and cleanup can take out the command and everything it spawned
     * with one kill(-pgid) without touching init. */
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = devnull_fd >= 0 ? devnull_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
        dup2(err_w, STDERR_FILENO) < 0) {
      _exit(126);
    }
    if (chdir(workspace) < 0) {
      child_error("chdir", workspace);
      _exit(126);
    }
    execvp(argv[0], argv);
    child_error("exec", argv[0]);
    /* 127 like a shell's "command not found", so callers see one convention. */
    _exit(127);
  }
  environ = saved_environ;
  return pid;
}

/* Starts the command described by an EXEC payload. */
static void start_command(char *payload, uint32_t len) {
  if (child > 0) {
    send_error("busy: a command is already running");
    return;
  }
  if (len < 4) {
    send_error("malformed EXEC frame");
    return;
  }
  uint32_t argc = ((uint32_t)(unsigned char)payload[0] << 24) |
                  ((uint32_t)(unsigned char)payload[1] << 16) |
                  ((uint32_t)(unsigned char)payload[2] << 8) | (unsigned char)payload[3];
  if (argc == 0 || argc > len) {
    send_error("malformed EXEC frame: bad argc");
    return;
  }
  /* The payload must end with a NUL so every string is terminated. */
  if (payload[len - 1] != '\0') {
    send_error("malformed EXEC frame: unterminated string");
    return;
  }
  char **argv = calloc(argc + 1, sizeof(char *));
  if (argv == NULL) die("calloc");
  char *p = payload + 4, *end = payload + len;
  for (uint32_t i = 0; i < argc; i++) {
    if (p >= end) {
      free(argv);
      send_error("malformed EXEC frame: argc exceeds strings");
      return;
    }
    argv[i] = p;
    p += strlen(p) + 1;
  }
  char *env_start = p;

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0) die("pipe");
  if (pipe2(err, O_CLOEXEC) < 0) die("pipe");

  char **envp = command_env(env_start, end);
  if (envp == NULL) die("malloc");
  pid_t pid = spawn_child(argv, envp, out[1], err[1]);
  free(envp);
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    close(err[0]);
    close(err[1]);
    free(argv);
    send_error("fork failed");
    return;
  }
  /* No setpgid(pid, pid) from here: with vfork init resumes only once the child has exec'd (or
   * exited), so its own setpgid has run before any KILL can be read. */
  free(argv);
  close(out[1]);
  close(err[1]);
  child = pid;
  out_fd = out[0];
  err_fd = err[0];
  child_done = 0;
}

/* Reaps every dead process: as PID 1, orphans of all commands end up here. */
static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == child) {
      child_status = status;
      child_done = 1;
      /* A command's background jobs do not outlive it: they would hold its pipes open and
       * leak into the next command. */
      kill(-child, SIGKILL);
    }
  }
}

/* Forwards one chunk from a command pipe; closes it on EOF. */
static void pump(int *fd, uint8_t type) {
  char buf[65536];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n > 0) {
    send_frame(type, buf, (uint32_t)n);
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    close_fd(fd);
  }
}

/* Frames from the host accumulate here until complete. */
static char *inbuf;
static size_t inlen, incap;

static void handle_frame(uint8_t type, char *payload, uint32_t len) {
  switch (type) {
    case F_EXEC:
      start_command(payload, len);
      break;
    case F_KILL:
      if (child > 0) kill(-child, SIGKILL);
      break;
    default:
      send_error("unknown frame type");
  }
}

/* Returns 0 when the host closed our stdin. */
static int read_host(void) {
  if (incap - inlen < 65536) {
    incap = incap * 2 + 65536;
    inbuf = realloc(inbuf, incap);
    if (inbuf == NULL) die("realloc");
  }
  ssize_t n = read(STDIN_FILENO, inbuf + inlen, incap - inlen);
  if (n == 0) return 0;
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  inlen += (size_t)n;
  size_t off = 0;
  while (inlen - off >= 5) {
    unsigned char *h = (unsigned char *)inbuf + off;
    uint32_t len = ((uint32_t)h[1] << 24) | ((uint32_t)h[2] << 16) | ((uint32_t)h[3] << 8) | h[4];
    if (len > MAX_FRAME) {
      fprintf(stderr, "af-init: frame of %u bytes exceeds limit\n", len);
      exit(112);
    }
    if (inlen - off - 5 < len) break;
    handle_frame(h[0], inbuf + off + 5, len);
    off += 5 + len;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
  return 1;
}

/* ---- egress relay: 127.0.0.1:PORT inside the sandbox -> the host proxy's unix socket ---- */

/* Copies one direction; returns 0 on EOF or error. */
static int copy_once(int from, int to) {
  char buf[65536];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    off += w;
  }
  return 1;
}

/* One relayed connection, in its own process: TCP client <-> unix socket, half-closes passed on. */
static void relay_connection(int tcp, const char *path) {
  int ux = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (ux < 0 || strlen(path) >= sizeof addr.sun_path) _exit(1);
  strcpy(addr.sun_path, path);
  if (connect(ux, (struct sockaddr *)&addr, sizeof addr) < 0) _exit(1);
  int up_open = 1, down_open = 1;
  while (up_open || down_open) {
    struct pollfd fds[2] = {{.fd = up_open ? tcp : -1, .events = POLLIN},
                            {.fd = down_open ? ux : -1, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    if (up_open && fds[0].revents && !copy_once(tcp, ux)) {
      up_open = 0;
      shutdown(ux, SHUT_WR);
    }
    if (down_open && fds[1].revents && !copy_once(ux, tcp)) {
      down_open = 0;
      shutdown(tcp, SHUT_WR);
    }
  }
  _exit(0);
}

/* Binds the relay's port (so it listens before READY) and forks the accept loop. */
static void start_relay(const char *port_arg, const char *path) {
  char *end;
  long port = strtol(port_arg, &end, 10);
  if (*end != '\0' || port < 1 || port > 65535) {
    errno = EINVAL;
    die("--relay port");
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("relay socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("relay bind");
  if (listen(lfd, 128) < 0) die("relay listen");
  pid_t pid = fork();
  if (pid < 0) die("relay fork");
  if (pid > 0) {
    close(lfd);
    return;
  }
  /* The relay keeps nothing of init: not its protocol pipes, not its blocked SIGCHLD. Its own
   * per-connection children are reaped by the kernel (SIGCHLD ignored). */
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    if (devnull > STDERR_FILENO) close(devnull);
  }
  signal(SIGCHLD, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (;;) {
    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* Out of fds or pids (the sandbox's own limits): back off instead of spinning. */
      usleep(100000);
      continue;
    }
    /* Relayed bytes go out as they arrive; Nagle would hold small writes back for an ACK. */
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pid_t conn = fork();
    if (conn == 0) {
      close(lfd);
      relay_connection(c, path);
    }
    close(c);
  }
}

int main(int argc, char **argv) {
  int argi = 1;
  const char *relay_port = NULL, *relay_socket = NULL;
  if (argc > 3 && strcmp(argv[1], "--relay") == 0) {
    relay_port = argv[2];
    relay_socket = argv[3];
    argi = 4;
  }
  if (argc > argi) workspace = argv[argi];
  /* Not dumpable, first thing: every process of the sandbox runs as our uid, and a dumpable init
   * could be ptraced by them or have its memory read and written through /proc/1/mem, i.e. its
   * channel to the host taken over (forged EXIT or output frames). Non-dumpable, our /proc entries
   * are root's, not the sandbox uid's, and ptrace access (attach, /proc/1/mem, environ, fd/) needs
   * CAP_SYS_PTRACE, which nothing in the sandbox has.
   * Commands are dumpable again after their execve (a new mm); the relay's fork()s inherit this.
   * The host, as root, still reads /proc/<pid>/ of init (task/children when closing). */
  if (prctl(PR_SET_DUMPABLE, 0) < 0) die("prctl(PR_SET_DUMPABLE)");
  /* Outside a pid namespace (process driver) we are not PID 1: become the reaper of our
   * descendants anyway, so orphans never escape to the host's init. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  /* If the JVM dies, so do we (bwrap --die-with-parent covers bwrap itself). */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);

  /* SIGCHLD through a signalfd keeps everything in one poll() loop, without async handlers. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) die("sigprocmask");
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");

  if (relay_port != NULL) start_relay(relay_port, relay_socket);

  devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  send_frame(F_READY, NULL, 0);

  int host_open = 1;
  long drain_until = -1; /* deadline to drain pipes after the leader exited; -1: not draining */
  while (host_open || child > 0) {
    struct pollfd fds[4];
    int n = 0;
    fds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    int in_i = -1, out_i = -1, err_i = -1;
    if (host_open) {
      in_i = n;
      fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    }
    if (out_fd >= 0) {
      out_i = n;
      fds[n++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
    }
    if (err_fd >= 0) {
      err_i = n;
      fds[n++] = (struct pollfd){.fd = err_fd, .events = POLLIN};
    }
    int timeout = -1;
    if (drain_until >= 0) {
      long left = drain_until - now_ms();
      timeout = left > 0 ? (int)left : 0;
    }
    int r = poll(fds, (nfds_t)n, timeout);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      reap();
    }
    /* Output before host input, so a KILL never overtakes output already produced. */
    if (out_i >= 0 && fds[out_i].revents) pump(&out_fd, F_STDOUT);
    if (err_i >= 0 && fds[err_i].revents) pump(&err_fd, F_STDERR);
    if (in_i >= 0 && fds[in_i].revents) {
      if (!read_host()) {
        /* Host gone: nobody will read results. Kill the command and leave. */
        host_open = 0;
        if (child > 0) kill(-child, SIGKILL);
        return 0;
      }
    }
    if (child > 0 && child_done) {
      if (drain_until < 0) drain_until = now_ms() + DRAIN_MS;
      /* Report once both pipes hit EOF, or when the drain window closed (a process that left
       * the group with setsid() may still hold a pipe). */
      if ((out_fd < 0 && err_fd < 0) || now_ms() >= drain_until) {
        close_fd(&out_fd);
        close_fd(&err_fd);
        send_exit(child_status);
        child = -1;
        child_done = 0;
        drain_until = -1;
      }
    }
  }
  return 0;
}
