// Runs a program with openat2(2) refused as if the kernel lacked it (ENOSYS), through a
// seccomp filter: what keepsake meets on kernels before 5.6 or under container filters that
// do not know the call. Built by the test that uses it. Usage: no-openat2 PROGRAM [ARGS...]
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#define OPENAT2 437  // the same number on every architecture (the generic table)

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: no-openat2 PROGRAM [ARGS...]\n");
    return 2;
  }
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OPENAT2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("no-openat2: seccomp");
    return 3;
  }
  execvp(argv[1], argv + 1);
  perror("no-openat2: exec");
  return 127;
}
