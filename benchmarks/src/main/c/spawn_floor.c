/*
 * The machine's floor for one sandbox command round trip: vfork + exec + wait of /bin/true from a
 * C process, as af-init does for every command, without the sandbox, the frame pipe or the JVM.
 *
 *   gcc -O2 -o /tmp/spawn_floor benchmarks/src/main/c/spawn_floor.c && /tmp/spawn_floor 500
 *
 * Prints the mean wall time per spawn in milliseconds (benchmarks/results/sandbox.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500;
  if (n <= 0) {
    fprintf(stderr, "usage: spawn_floor [COUNT > 0]\n");
    return 2;
  }
  char *args[] = {"/bin/true", NULL};
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = 0; i < n; i++) {
    pid_t pid = vfork();
    if (pid == 0) {
      execv(args[0], args);
      _exit(127);
    }
    if (pid < 0) {
      perror("vfork");
      return 1;
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "/bin/true did not exit 0\n");
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double ms = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
  printf("{\"benchmark\":\"spawn_floor\",\"metric\":\"vfork_exec_wait_true_mean\",\"value\":%.3f,"
         "\"unit\":\"ms\",\"count\":%d}\n",
         ms / n, n);
  return 0;
}
