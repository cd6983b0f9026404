// The floor for a safe apply: what any tool that makes these entries without following a
// planted link must do at least, with nothing else (no configuration, no plan, no record).
// For every entry it opens each component of the store's and of the target's path from the
// root with O_PATH|O_NOFOLLOW, creates what is missing through the parent's descriptor, checks
// each opened component through /proc/self/fd, and binds (or links) through the descriptors.
//
// usage: floor ROOT ENTRIES
//   ENTRIES holds one entry a line: KIND UID GID TARGET STORE, separated by tabs, KIND one of
//   d (directory), f (file: its stored copy exists), l (directory persisted as a link).
//   Paths are absolute inside ROOT. Parents in a home belong to the entry's owner, others to
//   root, as keepsake makes them.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;
static size_t root_len;

static void die(const char *what, const char *path) {
  fprintf(stderr, "floor: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

// The descriptor must point exactly at ROOT + path: no component was a link.
static void check(int fd, const char *path, size_t len) {
  char proc[64], real[4096];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, real, sizeof real);
  if (n < 0) die("readlink", path);
  if ((size_t)n != root_len + len || memcmp(real, root, root_len) != 0 ||
      memcmp(real + root_len, path, len) != 0) {
    fprintf(stderr, "floor: %.*s is not where it was asked for\n", (int)len, path);
    exit(1);
  }
}

// Open every directory of the first `upto` characters of `path` from the root, creating what is
// missing; returns the descriptor of the last one. Directories created at or below the first
// `home_len` characters (the home) belong to uid:gid, those above to root.
static int open_dirs(const char *path, size_t upto, uid_t uid, gid_t gid, size_t home_len) {
  int fd = open(root, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die("open", root);
  size_t i = 1;
  while (i < upto) {
    size_t j = i;
    while (j < upto && path[j] != '/') j++;
    char name[256];
    size_t n = j - i;
    memcpy(name, path + i, n);
    name[n] = 0;
    int next = openat(fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(fd, name, 0755) != 0 && errno != EEXIST) die("mkdir", path);
      next = openat(fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
      if (next >= 0 && j >= home_len && (uid != 0 || gid != 0)) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", next);
        if (chown(proc, uid, gid) != 0) die("chown", path);
      }
    }
    if (next < 0) die("open", path);
    check(next, path, j);
    close(fd);
    fd = next;
    i = j + 1;
  }
  return fd;
}

static void bind_fds(int src, int tgt, const char *path) {
  char s[64], t[64];
  snprintf(s, sizeof s, "/proc/self/fd/%d", src);
  snprintf(t, sizeof t, "/proc/self/fd/%d", tgt);
  if (mount(s, t, NULL, MS_BIND, NULL) != 0) die("mount", path);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: floor ROOT ENTRIES\n");
    return 2;
  }
  root = argv[1];
  root_len = strlen(root);
  FILE *in = fopen(argv[2], "r");
  if (!in) die("open", argv[2]);
  char line[8192];
  int made = 0;
  while (fgets(line, sizeof line, in)) {
    char kind;
    unsigned uid, gid;
    char target[4096], store[4096];
    if (sscanf(line, "%c\t%u\t%u\t%4095[^\t]\t%4095[^\n]", &kind, &uid, &gid, target, store) !=
        5)
      continue;
    size_t tlen = strlen(target), slen = strlen(store);
    // A home is the third component of /home/USER/...: what lies below it is the user's.
    size_t home = uid != 0 ? (size_t)(strchr(strchr(target + 1, '/') + 1, '/') - target) : tlen;
    size_t store_home = uid != 0 ? slen - (tlen - home) : slen;
    if (kind == 'f') {
      size_t sslash = (size_t)(strrchr(store, '/') - store);
      int src = open_dirs(store, sslash, 0, 0, slen);
      const char *sname = store + sslash + 1;
      int sfile = openat(src, sname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (sfile < 0) die("open", store);
      check(sfile, store, slen);
      size_t slash = (size_t)(strrchr(target, '/') - target);
      int dir = open_dirs(target, slash, uid, gid, home);
      const char *name = target + slash + 1;
      int created = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (created < 0) die("create", target);
      if (uid != 0 && fchown(created, uid, gid) != 0) die("chown", target);
      close(created);
      int tfile = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (tfile < 0) die("open", target);
      check(tfile, target, tlen);
      bind_fds(sfile, tfile, target);
      close(sfile), close(src), close(tfile), close(dir);
    } else if (kind == 'd') {
      int src = open_dirs(store, slen, uid, gid, store_home);
      int tgt = open_dirs(target, tlen, uid, gid, home);
      bind_fds(src, tgt, target);
      close(src), close(tgt);
    } else if (kind == 'l') {
      int src = open_dirs(store, slen, uid, gid, store_home);
      size_t slash = (size_t)(strrchr(target, '/') - target);
      int dir = open_dirs(target, slash, uid, gid, home);
      if (symlinkat(store, dir, target + slash + 1) != 0) die("symlink", target);
      if (uid != 0 && fchownat(dir, target + slash + 1, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        die("chown", target);
      close(src), close(dir);
    } else {
      continue;
    }
    made++;
  }
  fclose(in);
  printf("%d\n", made);
  return 0;
}
