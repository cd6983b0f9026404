// runSteps: the executor's common steps (make a directory, create an empty or small file,
// make a link, bind-mount) carried out in one call, with the same checks as the JavaScript
// path in src/system/safe-fs.ts, only without a round trip into JavaScript per system call.
//
// Safety: every path is reached from the root one component at a time with
// openat(O_PATH|O_NOFOLLOW), through descriptors of directories already reached that way,
// so no component can be a link (stricter than safe-fs.ts, which opens the whole path and
// checks /proc/self/fd). Everything is then made through the parent's descriptor, and bound
// through /proc/self/fd aliases of descriptors that were checked.
//
// Failure: the first step that fails leaves nothing of itself behind (a directory or file it
// made is removed again, as safe-fs.ts does) and ends the call; the count of steps done is
// returned, and the caller runs that step again on its JavaScript path, which reports the
// error in full (or succeeds, if the cause went away). So this file never has to explain.
//
// Directories reached stay open between calls, like safe-fs.ts's verified cache (at most
// CACHED of them, oldest closed first). resetSteps() closes them all: the caller does so
// whenever anything else changed the tree meanwhile, and at the end of its batch.

#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#define CACHED 64

struct dir {
  char *path;
  size_t len;
  int fd;
  mode_t mode;
  unsigned pinned; // the step that uses it: never closed under that step
};

static struct dir dirs[CACHED * 2];
static int ndirs;
static unsigned step_id;

static void drop(int i) {
  close(dirs[i].fd);
  free(dirs[i].path);
  memmove(&dirs[i], &dirs[i + 1], (size_t)(ndirs - i - 1) * sizeof dirs[0]);
  ndirs--;
}

static void reset(void) {
  while (ndirs > 0) drop(ndirs - 1);
}

// Forget `p` and everything below it: a mount on it changes what the path shows.
static void forget_below(const char *p, size_t len) {
  for (int i = ndirs - 1; i >= 0; i--) {
    const struct dir *d = &dirs[i];
    if (d->len >= len && memcmp(d->path, p, len) == 0 && (d->len == len || d->path[len] == '/'))
      drop(i);
  }
}

static int find(const char *p, size_t len) {
  for (int i = ndirs - 1; i >= 0; i--)
    if (dirs[i].len == len && memcmp(dirs[i].path, p, len) == 0) return i;
  return -1;
}

// Keeps `fd` (a checked directory) for later steps; closes the oldest one not in use if full.
// Returns 0 when it could not be kept (the caller then closes it itself).
static int keep(const char *p, size_t len, int fd, mode_t mode) {
  if (ndirs >= CACHED) {
    for (int i = 0; i < ndirs; i++) {
      if (dirs[i].pinned != step_id) {
        drop(i);
        break;
      }
    }
  }
  if (ndirs >= (int)(sizeof dirs / sizeof dirs[0])) return 0;
  char *copy = malloc(len + 1);
  if (!copy) return 0;
  memcpy(copy, p, len);
  copy[len] = 0;
  dirs[ndirs++] = (struct dir){copy, len, fd, mode, step_id};
  return 1;
}

// A component must be a plain name: ".", ".." and empty ones would make the path mean
// something other than it says.
static int plain(const char *name, size_t n) {
  if (n == 0 || n > NAME_MAX) return 0;
  if (name[0] == '.' && (n == 1 || (n == 2 && name[1] == '.'))) return 0;
  return 1;
}

// A checked descriptor of the directory `p` (absolute, no trailing slash), or -1. *owned is
// set when the caller must close it (it could not be kept). Reached from the nearest kept
// ancestor (or the root) one component at a time, never following a link.
static int open_dir(const char *p, size_t len, mode_t *mode, int *owned) {
  *owned = 0;
  // Absolute, and no trailing slash: an empty last component would otherwise be skipped
  // below unchecked (and the path taken as its parent), where safe-fs.ts refuses it.
  if (len == 0 || p[0] != '/' || (len > 1 && p[len - 1] == '/')) return errno = EINVAL, -1;
  int hit = find(p, len);
  if (hit >= 0) {
    dirs[hit].pinned = step_id;
    *mode = dirs[hit].mode;
    return dirs[hit].fd;
  }
  // The nearest kept ancestor.
  size_t at = len;
  int base = -1;
  while (at > 0) {
    while (at > 0 && p[at - 1] != '/') at--;
    if (at <= 1) {
      at = 1;
      break;
    }
    at--; // at the slash: p[0..at) is the ancestor
    base = find(p, at);
    if (base >= 0) {
      at++;
      break;
    }
  }
  int fd;
  int fd_owned;
  if (base >= 0) {
    fd = dirs[base].fd;
    dirs[base].pinned = step_id;
    fd_owned = 0;
  } else {
    fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    fd_owned = 1;
    at = 1;
  }
  if (at >= len) { // p is "/"
    struct stat st;
    if (fstat(fd, &st) != 0) {
      if (fd_owned) close(fd);
      return -1;
    }
    *mode = st.st_mode;
    *owned = fd_owned;
    return fd;
  }
  char name[NAME_MAX + 1];
  while (at < len) {
    size_t end = at;
    while (end < len && p[end] != '/') end++;
    if (!plain(p + at, end - at)) {
      if (fd_owned) close(fd);
      return errno = EINVAL, -1;
    }
    memcpy(name, p + at, end - at);
    name[end - at] = 0;
    int next = openat(fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    int err = errno;
    if (fd_owned) close(fd);
    if (next < 0) return errno = err, -1;
    fd = next;
    fd_owned = 1;
    at = end + 1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
    int err = errno;
    close(fd);
    return errno = err ? err : ENOTDIR, -1;
  }
  *mode = st.st_mode;
  if (!keep(p, len, fd, st.st_mode)) *owned = 1;
  return fd;
}

// The parent's descriptor and the final name of `p`.
static int open_parent(const char *p, size_t len, const char **name, mode_t *mode, int *owned) {
  size_t slash = len;
  while (slash > 0 && p[slash - 1] != '/') slash--;
  if (slash == 0 || !plain(p + slash, len - slash)) return errno = EINVAL, -1;
  *name = p + slash;
  return open_dir(p, slash > 1 ? slash - 1 : 1, mode, owned);
}

static void done_with(int fd, int owned) {
  if (owned) close(fd);
}

static void proc_path(char *buf, size_t size, int fd) {
  snprintf(buf, size, "/proc/self/fd/%d", fd);
}

struct ids {
  uid_t euid;
  gid_t egid;
  mode_t umask;
};

// mkdir: made private until owner and mode are final, unless mkdir alone makes them exact.
static int step_mkdir(const struct ids *ids, const char *p, uid_t uid, gid_t gid, mode_t mode) {
  const char *name;
  mode_t pmode;
  int owned;
  int parent = open_parent(p, strlen(p), &name, &pmode, &owned);
  if (parent < 0) return -1;
  int exact = uid == ids->euid && gid == ids->egid && (mode & ~0777u) == 0 &&
              (mode & ids->umask) == 0 && (pmode & S_ISGID) == 0;
  int ok = mkdirat(parent, name, exact ? mode : 0700) == 0;
  if (ok && !exact) {
    int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    char proc[64];
    if (fd >= 0) proc_path(proc, sizeof proc, fd);
    // chmod after chown, which may clear set-id bits; through the alias: umask-proof.
    ok = fd >= 0 && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == 0 && chmod(proc, mode) == 0;
    if (fd >= 0) close(fd);
    // Nothing half-made is left behind: the directory is new and still empty.
    if (!ok) unlinkat(parent, name, AT_REMOVEDIR);
  }
  done_with(parent, owned);
  return ok ? 0 : -1;
}

// A new file (never an existing one), written under O_EXCL, owner and mode set, flushed.
static int step_file(const char *p, const char *content, size_t clen, uid_t uid, gid_t gid,
                     mode_t mode) {
  const char *name;
  mode_t pmode;
  int owned;
  int parent = open_parent(p, strlen(p), &name, &pmode, &owned);
  if (parent < 0) return -1;
  int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  int ok = fd >= 0;
  if (ok) {
    size_t off = 0;
    while (ok && off < clen) {
      ssize_t n = write(fd, content + off, clen - off);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) off += (size_t)n;
    }
    ok = ok && fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0 && fsync(fd) == 0;
    close(fd);
    // The file is ours, made a moment ago under O_EXCL: remove what was half written.
    if (!ok) unlinkat(parent, name, 0);
  }
  done_with(parent, owned);
  return ok ? 0 : -1;
}

// A link owned by uid:gid; if something else replaced it meanwhile, it is left alone.
static int step_link(const char *p, const char *to, uid_t uid, gid_t gid) {
  const char *name;
  mode_t pmode;
  int owned;
  int parent = open_parent(p, strlen(p), &name, &pmode, &owned);
  if (parent < 0) return -1;
  int ok = symlinkat(to, parent, name) == 0;
  if (ok) {
    int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISLNK(st.st_mode)) {
      ok = 0; // not ours any more (or unreachable): left alone, the caller reports it
    } else if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0) {
      ok = 0;
      unlinkat(parent, name, 0); // the link is ours, checked above
    }
    if (fd >= 0) close(fd);
  }
  done_with(parent, owned);
  return ok ? 0 : -1;
}

// A regular file's descriptor, never through a link.
static int open_file(const char *p, int *fd_out) {
  const char *name;
  mode_t pmode;
  int owned;
  int parent = open_parent(p, strlen(p), &name, &pmode, &owned);
  if (parent < 0) return -1;
  int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  done_with(parent, owned);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return errno = EINVAL, -1;
  }
  *fd_out = fd;
  return 0;
}

// True when the directory `fd` holds nothing. Read through the descriptor taken before the
// bind, it shows the directory under the new mount, not the mounted tree.
static int below_is_empty(int fd) {
  int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return 0;
  DIR *dir = fdopendir(d);
  if (!dir) {
    close(d);
    return 0;
  }
  int empty = 1;
  struct dirent *e;
  while (empty && (e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
  }
  closedir(dir);
  return empty;
}

// Takes the mount just made at `target` down again: through its parent's descriptor, so that
// the top of the path (the new mount) is what is unmounted, and no link is followed.
// Detached, so that it cannot fail as busy: a bind mount holds no data of its own.
static void undo_bind(const char *target) {
  const char *name;
  mode_t pmode;
  int owned;
  int parent = open_parent(target, strlen(target), &name, &pmode, &owned);
  if (parent < 0) return;
  char at[PATH_MAX];
  int n = snprintf(at, sizeof at, "/proc/self/fd/%d/%s", parent, name);
  if (n > 0 && (size_t)n < sizeof at) umount2(at, UMOUNT_NOFOLLOW | MNT_DETACH);
  done_with(parent, owned);
}

static int step_bind(const char *source, const char *target, int is_dir) {
  int src = -1, tgt = -1, src_owned = 1, tgt_owned = 1;
  mode_t mode;
  int ok;
  if (is_dir) {
    src = open_dir(source, strlen(source), &mode, &src_owned);
    tgt = src < 0 ? -1 : open_dir(target, strlen(target), &mode, &tgt_owned);
    ok = src >= 0 && tgt >= 0;
  } else {
    ok = open_file(source, &src) == 0 && open_file(target, &tgt) == 0;
  }
  if (ok) {
    char s[64], t[64];
    proc_path(s, sizeof s, src);
    proc_path(t, sizeof t, tgt);
    ok = mount(s, t, NULL, MS_BIND, NULL) == 0;
    // Invariant: a bind hides nothing. The plan saw the mount point empty; what a program
    // wrote there since (or while keepsake made it) would be hidden under the mount. So the
    // directory below is read once more, after the bind, and if anything is there the bind
    // is taken down again and the step fails (the JavaScript path then names what is there).
    if (ok && is_dir && !below_is_empty(tgt)) {
      undo_bind(target);
      errno = ENOTEMPTY;
      ok = 0;
    }
  }
  int err = errno;
  if (src >= 0) done_with(src, src_owned);
  if (tgt >= 0) done_with(tgt, tgt_owned);
  // The path now shows the mounted tree, not the directory below it.
  if (ok) forget_below(target, strlen(target));
  errno = err;
  return ok ? 0 : -1;
}

// Reads the NUL-terminated field at *at; NULL when the buffer ends first.
static const char *field(const char *buf, size_t len, size_t *at) {
  if (*at >= len) return NULL;
  const char *s = buf + *at;
  const char *end = memchr(s, 0, len - *at);
  if (!end) return NULL;
  *at = (size_t)(end - buf) + 1;
  return s;
}

// A decimal id or mode. Digits only, and within 32 bits: strtoul alone would take "-1"
// (uid_t -1: "leave the owner as is") and 2^32 (wrapped to uid 0, root) without a word.
static int number(const char *buf, size_t len, size_t *at, unsigned long *out) {
  const char *s = field(buf, len, at);
  if (!s || *s < '0' || *s > '9') return 0;
  char *end;
  errno = 0;
  *out = strtoul(s, &end, 10);
  return *end == 0 && errno == 0 && *out <= 0xFFFFFFFFul;
}

// runSteps(steps: Buffer, euid, egid, umask): number of steps done. The buffer holds steps
// one after another, each a kind letter and its fields, every one ending in a NUL:
//   d PATH UID GID MODE | f PATH CONTENT UID GID MODE | l PATH TO UID GID | b SOURCE TARGET d|f
// A malformed buffer throws a TypeError, and then no step was carried out.
napi_value keepsake_run_steps(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "runSteps expects 4 arguments");
    return NULL;
  }
  char *buf;
  size_t len;
  if (napi_get_buffer_info(env, argv[0], (void **)&buf, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "runSteps: steps must be a Buffer");
    return NULL;
  }
  int64_t euid, egid, um;
  if (napi_get_value_int64(env, argv[1], &euid) != napi_ok ||
      napi_get_value_int64(env, argv[2], &egid) != napi_ok ||
      napi_get_value_int64(env, argv[3], &um) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "runSteps: ids must be numbers");
    return NULL;
  }
  struct ids ids = {(uid_t)euid, (gid_t)egid, (mode_t)um};
  int done = 0;
  int bad = 0;
  // Two passes: the first only reads the buffer, so a malformed one is refused before any
  // step is carried out (a step done before the error could not be counted for the caller,
  // who would then neither report nor undo it).
  for (int pass = 0; pass < 2 && !bad; pass++) {
    size_t at = 0;
    done = 0;
    while (at < len) {
      if (pass) step_id++;
      const char *kind = field(buf, len, &at);
      if (!kind) break;
      unsigned long uid, gid, mode;
      int r;
      if (strcmp(kind, "d") == 0) {
        const char *p = field(buf, len, &at);
        if (!p || !number(buf, len, &at, &uid) || !number(buf, len, &at, &gid) ||
            !number(buf, len, &at, &mode)) {
          bad = 1;
          break;
        }
        r = pass ? step_mkdir(&ids, p, (uid_t)uid, (gid_t)gid, (mode_t)mode) : 0;
      } else if (strcmp(kind, "f") == 0) {
        const char *p = field(buf, len, &at);
        const char *content = field(buf, len, &at);
        if (!p || !content || !number(buf, len, &at, &uid) || !number(buf, len, &at, &gid) ||
            !number(buf, len, &at, &mode)) {
          bad = 1;
          break;
        }
        r = pass ? step_file(p, content, strlen(content), (uid_t)uid, (gid_t)gid, (mode_t)mode)
                 : 0;
      } else if (strcmp(kind, "l") == 0) {
        const char *p = field(buf, len, &at);
        const char *to = field(buf, len, &at);
        if (!p || !to || !number(buf, len, &at, &uid) || !number(buf, len, &at, &gid)) {
          bad = 1;
          break;
        }
        r = pass ? step_link(p, to, (uid_t)uid, (gid_t)gid) : 0;
      } else if (strcmp(kind, "b") == 0) {
        const char *source = field(buf, len, &at);
        const char *target = field(buf, len, &at);
        const char *type = field(buf, len, &at);
        if (!source || !target || !type) {
          bad = 1;
          break;
        }
        r = pass ? step_bind(source, target, strcmp(type, "d") == 0) : 0;
      } else {
        bad = 1;
        break;
      }
      if (r != 0) break;
      done++;
    }
  }
  if (bad) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "runSteps: malformed steps");
    return NULL;
  }
  napi_value result;
  if (napi_create_int32(env, done, &result) != napi_ok) return NULL;
  return result;
}

// resetSteps(): closes every directory runSteps kept open.
napi_value keepsake_reset_steps(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  reset();
  return NULL;
}
