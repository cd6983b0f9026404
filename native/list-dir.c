// listDir reads a directory and lstats its non-directories with fstatat(2) relative to the
// open directory, which a per-entry call from JavaScript cannot match in speed (see the diff
// benchmark). readAhead lets a second thread list the directories a walk will enter next,
// while Node's thread goes on with the one it has: the stat calls, most of a scan's time, then
// run on two cores. Nothing here writes to a file system, and no link is ever followed.

#define _GNU_SOURCE
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shared.h"

// A growable byte buffer for listDir's records.
struct bytes {
  uint8_t *data;
  size_t len, cap;
};

static int reserve(struct bytes *b, size_t more) {
  if (b->len + more <= b->cap) return 1;
  size_t cap = b->cap ? b->cap * 2 : 16384;
  while (cap < b->len + more) cap *= 2;
  uint8_t *data = realloc(b->data, cap);
  if (!data) return 0;
  b->data = data;
  b->cap = cap;
  return 1;
}

static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return 0;
    if (len == 2 && c < 0xc2) return 0;
    for (size_t k = 1; k < len; k++)
      if ((s[i + k] & 0xc0) != 0x80) return 0;
    if (len == 3) {
      unsigned cp = ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    }
    if (len == 4) {
      unsigned cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) |
                    ((s[i + 2] & 0x3fu) << 6) | (s[i + 3] & 0x3fu);
      if (cp < 0x10000 || cp > 0x10ffff) return 0;
    }
    i += len;
  }
  return 1;
}

enum { KIND_FILE = 1, KIND_DIR = 2, KIND_SYMLINK = 3, KIND_OTHER = 4, KIND_ERROR = 5 };

static uint8_t kind_of_mode(mode_t m) {
  return S_ISREG(m) ? KIND_FILE : S_ISDIR(m) ? KIND_DIR : S_ISLNK(m) ? KIND_SYMLINK : KIND_OTHER;
}

// Where a thread builds its listings: kept from one directory to the next, so that reading a
// directory allocates nothing in the common case.
struct scratch {
  struct bytes out, names;
};

// Past this size a scratch buffer is given back after use (one huge directory).
#define SCRATCH_KEEP_MAX ((size_t)1 << 20)

static void scratch_trim(struct scratch *s) {
  struct bytes *parts[2] = {&s->out, &s->names};
  for (int k = 0; k < 2; k++) {
    if (parts[k]->cap > SCRATCH_KEEP_MAX) {
      free(parts[k]->data);
      memset(parts[k], 0, sizeof *parts[k]);
    }
  }
}

// One directory read: its records and names (in a scratch, or in `owned`, one block holding
// both, which the holder frees), or why it could not be read.
struct listing {
  const uint8_t *out, *names;
  size_t out_len, names_len;
  uint32_t count;
  int err;         // 0, or the errno of `op`
  const char *op;  // "opendir", "readdir", or NULL for out of memory
  uint8_t *owned;
};

static void listing_free(struct listing *l) {
  free(l->owned);
  memset(l, 0, sizeof *l);
}

// A listing made to outlive its scratch: copied into one block of its own size. The
// read-ahead thread's listings are freed on Node's thread; one exact block each, rather than
// the growing buffers they were built in, keeps that thread's malloc arena small.
static void listing_keep(struct listing *l) {
  size_t n = l->out_len + l->names_len;
  if (l->err != 0) return;
  if (n == 0) {
    l->out = l->names = NULL;
    return;
  }
  uint8_t *block = malloc(n);
  if (!block) {
    l->err = ENOMEM;
    l->op = NULL;
    return;
  }
  if (l->out_len) memcpy(block, l->out, l->out_len);
  if (l->names_len) memcpy(block + l->out_len, l->names, l->names_len);
  l->owned = block;
  l->out = block;
  l->names = block + l->out_len;
}

// Phase two of a listing: lstat every record that is not a directory, relative to the open
// directory (no path walk per entry).
static void stat_records(int dirfd, struct scratch *s, uint32_t count) {
  const char *names = (const char *)s->names.data;
  for (uint32_t i = 0; i < count; i++) {
    uint8_t *p = s->out.data + 24 * (size_t)i;
    if (p[16] == KIND_DIR) continue;
    uint32_t offset;
    memcpy(&offset, p + 20, 4);
    struct stat st;
    double size = 0, mtime = 0;
    if (fstatat(dirfd, names + offset, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      p[16] = kind_of_mode(st.st_mode);
      if (p[16] != KIND_DIR) {
        size = (double)st.st_size;
        mtime = (double)st.st_mtim.tv_sec * 1000.0 + (double)st.st_mtim.tv_nsec / 1e6;
      }
    } else {
      p[16] = KIND_ERROR;
      size = errno;
    }
    memcpy(p, &size, 8);
    memcpy(p + 8, &mtime, 8);
  }
}

// One record as getdents64(2) writes it.
struct dirent64_record {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// openat2(2) where the headers lack it (Linux 5.6; the values are the kernel's ABI).
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct keepsake_open_how {
  uint64_t flags, mode, resolve;
};
#define KEEPSAKE_RESOLVE_NO_XDEV 0x01
#define KEEPSAKE_RESOLVE_NO_MAGICLINKS 0x02
#define KEEPSAKE_RESOLVE_NO_SYMLINKS 0x04
#define KEEPSAKE_RESOLVE_BENEATH 0x08

// Set once openat2 is found missing (an older kernel, or a filter that refuses it); read and
// set by both threads.
static int no_openat2;

// Opens the directory `path`, whose first `root_len` bytes name the walk's root: the root is
// opened as named (not through a link at its last component), and below it no component may
// be a link, nor a mount point. The walk found each of them a directory, and never enters a
// mount (it was told of every one): a directory swapped for a link since is refused (ELOOP),
// not followed, and a file system mounted inside the tree since the walk read the mount table
// is refused (EXDEV), not entered. With openat2 that is one call; without, one openat per
// component, each with O_NOFOLLOW (links refused, mounts not seen).
static int open_dir(const char *path, size_t root_len) {
  const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  // The root and the directories on the way are only looked up in (O_PATH): search
  // permission is enough there, as for a path opened whole.
  const int lookup = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  size_t len = strlen(path);
  if (root_len == 0 || root_len >= len) return open(path, flags);
  // The root must end at a component's end: a path that does not continue it is refused.
  if (path[root_len] != '/' && path[root_len - 1] != '/') {
    errno = EINVAL;
    return -1;
  }
  char *root = strndup(path, root_len);
  if (!root) {
    errno = ENOMEM;
    return -1;
  }
  int dir = open(root, lookup);
  free(root);
  if (dir < 0) return -1;
  const char *rest = path + root_len;
  while (*rest == '/') rest++;
  int fd = -1;
  if (*rest == 0) {  // the root itself, with a slash after it
    close(dir);
    return open(path, flags);
  }
  if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
    struct keepsake_open_how how = {
        (uint64_t)flags, 0,
        KEEPSAKE_RESOLVE_NO_SYMLINKS | KEEPSAKE_RESOLVE_NO_MAGICLINKS | KEEPSAKE_RESOLVE_BENEATH |
            KEEPSAKE_RESOLVE_NO_XDEV};
    fd = (int)syscall(SYS_openat2, dir, rest, &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
      int err = errno;
      close(dir);
      errno = err;
      return fd;
    }
    __atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
  }
  // One component at a time, each relative to the one before.
  char name[256];
  while (*rest) {
    const char *end = strchr(rest, '/');
    size_t n = end ? (size_t)(end - rest) : strlen(rest);
    if (n >= sizeof name) {
      close(dir);
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(name, rest, n);
    name[n] = 0;
    const char *after = rest + n;
    while (*after == '/') after++;
    fd = openat(dir, name, *after ? lookup : flags);
    int err = errno;
    close(dir);
    if (fd < 0) {
      errno = err;
      return -1;
    }
    dir = fd;
    rest += n;
    while (*rest == '/') rest++;
  }
  return dir;
}

// Reads `path` (see open_dir for `root_len`) into *l, built in *s. Makes no N-API call, so
// that the read-ahead thread can run it.
static void list_into(const char *path, size_t root_len, struct scratch *s, struct listing *l) {
  memset(l, 0, sizeof *l);
  s->out.len = s->names.len = 0;
  int fd = open_dir(path, root_len);
  if (fd < 0) {
    l->err = errno;
    l->op = "opendir";
    return;
  }
  char buf[32768] __attribute__((aligned(8)));
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      l->err = errno;
      l->op = "readdir";
      break;
    }
    for (long at = 0; at < n && l->err == 0;) {
      struct dirent64_record *d = (struct dirent64_record *)(buf + at);
      at += d->d_reclen;
      const char *name = d->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      size_t nlen = strlen(name);
      // Phase one only reads the directory; names are kept NUL-terminated for fstatat.
      if (!reserve(&s->out, 24) || !reserve(&s->names, nlen + 1)) {
        l->err = ENOMEM;
        l->op = NULL;
        break;
      }
      uint8_t *p = s->out.data + s->out.len;
      uint16_t n16 = (uint16_t)nlen;
      uint32_t offset = (uint32_t)s->names.len;
      memset(p, 0, 16);
      p[16] = d->d_type == DT_DIR ? KIND_DIR : 0;
      p[17] = valid_utf8((const unsigned char *)name, nlen) ? 0 : 1;
      memcpy(p + 18, &n16, 2);
      memcpy(p + 20, &offset, 4);
      s->out.len += 24;
      memcpy(s->names.data + s->names.len, name, nlen + 1);
      s->names.len += nlen + 1;
      l->count++;
    }
    if (l->err != 0) break;
  }
  if (l->err == 0) stat_records(fd, s, l->count);
  close(fd);
  if (l->err != 0) return;
  l->out = s->out.data;
  l->out_len = s->out.len;
  l->names = s->names.data;
  l->names_len = s->names.len;
}

// ---- Reading ahead -----------------------------------------------------------------------
//
// The walk hands over, in order, the subdirectories it is about to enter (readAhead), and
// gets an id for each. A single thread takes the most recently handed-over directory not yet
// taken (the deepest, last ones: the walk itself starts with the first), lists it and keeps
// the listing. When the walk asks for a directory by its id (listDir's second argument), it
// gets that listing; if the thread is still reading it, it waits; if the thread has not
// started it, the walk reads it itself. So each listing is still one read of the directory,
// made at most a moment before the walk would have made it, and the answers are those of
// listDir without reading ahead. Listings kept and not yet asked for are capped
// (AHEAD_HELD_MAX): past that the thread waits, so memory follows the walk, not the tree.
// One walk reads ahead at a time in a process; readAheadEnd drops what is left.

enum { AHEAD_QUEUED, AHEAD_RUNNING, AHEAD_DONE, AHEAD_TAKEN };

struct ahead_task {
  char *path;
  size_t root_len;
  int state;
  struct listing listing;
};

#define AHEAD_HELD_MAX ((size_t)1 << 20)

static struct {
  pthread_mutex_t mu;
  pthread_cond_t work;  // the thread waits here for a task, or for room
  pthread_cond_t done;  // the walk waits here for a task the thread is reading
  struct ahead_task *tasks;
  size_t n, cap;
  // The ids of tasks handed over, most recent on top: the thread's next task is the topmost
  // still queued. Each id is pushed once and popped once; one taken meanwhile is skipped.
  size_t *queue;
  size_t queued, queue_cap;
  size_t held;  // bytes of listings done and not yet taken
  int started, stop;
  pthread_t thread;
} ahead = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
           NULL, 0, 0, NULL, 0, 0, 0, 0, 0, 0};

// What a listing kept counts against AHEAD_HELD_MAX: its bytes, and something for the
// listing itself, so that empty directories are bounded in number too.
static size_t listing_bytes(const struct listing *l) { return 64 + l->out_len + l->names_len; }

static void *ahead_run(void *arg) {
  (void)arg;
  struct scratch scratch = {{NULL, 0, 0}, {NULL, 0, 0}};
  pthread_mutex_lock(&ahead.mu);
  while (!ahead.stop) {
    size_t i = 0;
    int found = 0;
    while (!found && ahead.held < AHEAD_HELD_MAX && ahead.queued > 0) {
      i = ahead.queue[--ahead.queued];
      found = i < ahead.n && ahead.tasks[i].state == AHEAD_QUEUED;
    }
    if (!found) {
      pthread_cond_wait(&ahead.work, &ahead.mu);
      continue;
    }
    // The task array may grow (and move) while the lock is let go: keep the index and the
    // path, whose buffer belongs to the task until the task is taken, which a running task
    // is not.
    ahead.tasks[i].state = AHEAD_RUNNING;
    const char *path = ahead.tasks[i].path;
    size_t root_len = ahead.tasks[i].root_len;
    pthread_mutex_unlock(&ahead.mu);
    struct listing l;
    list_into(path, root_len, &scratch, &l);
    listing_keep(&l);
    scratch_trim(&scratch);
    pthread_mutex_lock(&ahead.mu);
    ahead.tasks[i].listing = l;
    ahead.tasks[i].state = AHEAD_DONE;
    ahead.held += listing_bytes(&l);
    pthread_cond_broadcast(&ahead.done);
  }
  pthread_mutex_unlock(&ahead.mu);
  free(scratch.out.data);
  free(scratch.names.data);
  return NULL;
}

// Frees the taken tasks at the top of the stack, so that ids below stay valid. Lock held.
static void ahead_pop_taken(void) {
  while (ahead.n > 0 && ahead.tasks[ahead.n - 1].state == AHEAD_TAKEN) {
    struct ahead_task *t = &ahead.tasks[--ahead.n];
    free(t->path);
    listing_free(&t->listing);
  }
}

// The listing of `path` read ahead as task `id`: 1 with *l filled, or 0 for the caller to read
// the directory itself (an unknown id, another path or root, or not started yet).
static int ahead_take(int64_t id, const char *path, size_t root_len, struct listing *l) {
  int got = 0;
  pthread_mutex_lock(&ahead.mu);
  if (id >= 0 && (size_t)id < ahead.n && ahead.tasks[id].state != AHEAD_TAKEN &&
      ahead.tasks[id].root_len == root_len && strcmp(ahead.tasks[id].path, path) == 0) {
    while (ahead.tasks[id].state == AHEAD_RUNNING) pthread_cond_wait(&ahead.done, &ahead.mu);
    struct ahead_task *t = &ahead.tasks[id];
    if (t->state == AHEAD_DONE) {
      *l = t->listing;
      memset(&t->listing, 0, sizeof t->listing);
      ahead.held -= listing_bytes(l);
      got = 1;
    }
    t->state = AHEAD_TAKEN;
    ahead_pop_taken();
    pthread_cond_signal(&ahead.work);  // there may be room again
  }
  pthread_mutex_unlock(&ahead.mu);
  return got;
}

// A path given as a string or as a Buffer of bytes (names need not be UTF-8), copied into a
// fresh NUL-terminated buffer (caller frees); NULL with an exception pending on failure.
static char *get_path(napi_env env, napi_value value, int *ok) {
  bool is_buffer = false;
  *ok = 0;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok) return NULL;
  if (!is_buffer) return keepsake_get_string(env, value, "path", 0, ok);
  void *data = NULL;
  size_t len = 0;
  if (napi_get_buffer_info(env, value, &data, &len) != napi_ok) return NULL;
  if (memchr(data, 0, len)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "path must not contain NUL bytes");
    return NULL;
  }
  char *path = malloc(len + 1);
  if (!path) {
    napi_throw_error(env, "ENOMEM", "keepsake_mount: out of memory");
    return NULL;
  }
  memcpy(path, data, len);
  path[len] = 0;
  *ok = 1;
  return path;
}

// Up to `max` arguments into argv; how many were given, or 0 (an exception pending) when none
// was.
static size_t first_args(napi_env env, napi_callback_info info, size_t max, napi_value *argv,
                         const char *usage) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 1) napi_throw_type_error(env, "ERR_MISSING_ARGS", usage);
  return argc < max ? argc : max;
}

// A number argument as an integer; `otherwise` when absent, not a number, or negative.
static int64_t optional_int(napi_env env, napi_value value, int64_t otherwise) {
  napi_valuetype type = napi_undefined;
  int64_t n = otherwise;
  if (value == NULL || napi_typeof(env, value, &type) != napi_ok || type != napi_number)
    return otherwise;
  if (napi_get_value_int64(env, value, &n) != napi_ok || n < 0) return otherwise;
  return n;
}

// listDir(path: string | Buffer, id?: number, rootLength?: number): an ArrayBuffer holding a
// u32 count (padded to 8 bytes), then one 24-byte record per entry but `.` and `..` (f64
// size, f64 mtime in ms, u8 kind, u8 flags (1: the name is not UTF-8), u16 name length, u32
// offset of the name), then the names' bytes. Directories are not stat'ed (size and mtime
// 0); an entry that cannot be stat'ed has kind 5 and its errno as size. Links are never
// followed: not at the last component, nor, given `rootLength` (the walk's root, in bytes of
// the path), at any component below the root. `id` is what readAhead gave for this path, if
// it was handed over.
static napi_value js_list_dir(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = first_args(env, info, 3, argv, "listDir expects a path");
  if (argc == 0) return NULL;
  int ok = 0;
  char *path = get_path(env, argv[0], &ok);
  if (!ok) return NULL;
  int64_t id = optional_int(env, argc > 1 ? argv[1] : NULL, -1);
  size_t root_len = (size_t)optional_int(env, argc > 2 ? argv[2] : NULL, 0);
  struct listing l;
  // The calling thread reads into a scratch of its own.
  static __thread struct scratch scratch;
  if (!ahead_take(id, path, root_len, &l)) list_into(path, root_len, &scratch, &l);
  napi_value result = NULL;
  if (l.err != 0 && l.op == NULL) {
    napi_throw_error(env, "ENOMEM", "keepsake_mount: out of memory");
  } else if (l.err != 0) {
    keepsake_throw_errno(env, l.err, l.op, NULL, path, -1);
  } else {
    void *data = NULL;
    if (napi_create_arraybuffer(env, 8 + l.out_len + l.names_len, &data, &result) == napi_ok) {
      uint8_t *p = data;
      memset(p, 0, 8);
      memcpy(p, &l.count, 4);
      if (l.out_len) memcpy(p + 8, l.out, l.out_len);
      if (l.names_len) memcpy(p + 8 + l.out_len, l.names, l.names_len);
    } else {
      result = NULL;
    }
  }
  listing_free(&l);
  scratch_trim(&scratch);
  free(path);
  return result;
}

// readAhead(paths: Array<string | Buffer>, rootLength?: number): the id of the first path (the
// others follow in order), or -1 when nothing can be read ahead (the thread could not be
// started). Each is read as listDir reads it with that rootLength.
static napi_value js_read_ahead(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = first_args(env, info, 2, argv, "readAhead expects an array of paths");
  if (argc == 0) return NULL;
  size_t root_len = (size_t)optional_int(env, argc > 1 ? argv[1] : NULL, 0);
  uint32_t count = 0;
  if (napi_get_array_length(env, argv[0], &count) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "readAhead expects an array of paths");
    return NULL;
  }
  char **paths = calloc(count ? count : 1, sizeof *paths);
  if (!paths) {
    napi_throw_error(env, "ENOMEM", "keepsake_mount: out of memory");
    return NULL;
  }
  int ok = 1;
  for (uint32_t k = 0; k < count && ok; k++) {
    napi_value v;
    ok = napi_get_element(env, argv[0], k, &v) == napi_ok;
    if (ok) paths[k] = get_path(env, v, &ok);
  }
  int64_t first = -1;
  pthread_mutex_lock(&ahead.mu);
  if (ok && !ahead.started) {
    ahead.stop = 0;
    ahead.started = pthread_create(&ahead.thread, NULL, ahead_run, NULL) == 0;
  }
  if (ok && ahead.started && ahead.n + count > ahead.cap) {
    size_t cap = ahead.cap ? ahead.cap : 256;
    while (cap < ahead.n + count) cap *= 2;
    struct ahead_task *tasks = realloc(ahead.tasks, cap * sizeof *tasks);
    if (tasks) {
      ahead.tasks = tasks;
      ahead.cap = cap;
    }
  }
  if (ok && ahead.started && ahead.queued + count > ahead.queue_cap) {
    size_t cap = ahead.queue_cap ? ahead.queue_cap : 256;
    while (cap < ahead.queued + count) cap *= 2;
    size_t *queue = realloc(ahead.queue, cap * sizeof *queue);
    if (queue) {
      ahead.queue = queue;
      ahead.queue_cap = cap;
    }
  }
  if (ok && ahead.started && ahead.n + count <= ahead.cap &&
      ahead.queued + count <= ahead.queue_cap) {
    first = (int64_t)ahead.n;
    for (uint32_t k = 0; k < count; k++) {
      struct ahead_task *t = &ahead.tasks[ahead.n++];
      memset(t, 0, sizeof *t);
      t->path = paths[k];
      t->root_len = root_len;
      t->state = AHEAD_QUEUED;
      ahead.queue[ahead.queued++] = ahead.n - 1;
      paths[k] = NULL;  // the task owns it now
    }
    pthread_cond_signal(&ahead.work);
  }
  pthread_mutex_unlock(&ahead.mu);
  for (uint32_t k = 0; k < count; k++) free(paths[k]);
  free(paths);
  if (!ok) return NULL;
  napi_value result;
  if (napi_create_int64(env, first, &result) != napi_ok) return NULL;
  return result;
}

// Drops every task: those not started are never read, and one being read is waited for. The
// thread stays, waiting for the next walk.
static void ahead_clear(void) {
  pthread_mutex_lock(&ahead.mu);
  for (size_t i = 0; i < ahead.n; i++)
    if (ahead.tasks[i].state == AHEAD_QUEUED) ahead.tasks[i].state = AHEAD_TAKEN;
  for (size_t i = 0; i < ahead.n; i++) {
    while (ahead.tasks[i].state == AHEAD_RUNNING) pthread_cond_wait(&ahead.done, &ahead.mu);
    ahead.tasks[i].state = AHEAD_TAKEN;
  }
  ahead_pop_taken();
  ahead.queued = 0;
  ahead.held = 0;
  pthread_mutex_unlock(&ahead.mu);
}

// readAheadEnd(): the walk is over, what was read ahead and not asked for is dropped.
static napi_value js_read_ahead_end(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  ahead_clear();
  return NULL;
}

// When Node tears the add-on down: stop the thread and free everything.
static void ahead_shutdown(void *arg) {
  (void)arg;
  ahead_clear();
  pthread_mutex_lock(&ahead.mu);
  int started = ahead.started;
  ahead.stop = 1;
  ahead.started = 0;
  pthread_cond_broadcast(&ahead.work);
  pthread_mutex_unlock(&ahead.mu);
  if (started) pthread_join(ahead.thread, NULL);
  free(ahead.tasks);
  free(ahead.queue);
  ahead.tasks = NULL;
  ahead.queue = NULL;
  ahead.cap = ahead.queue_cap = 0;
}

napi_value keepsake_define_list_dir(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listDir", NULL, js_list_dir, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readAhead", NULL, js_read_ahead, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readAheadEnd", NULL, js_read_ahead_end, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  // Node refuses (aborts on) a second hook with the same function and argument in one
  // process, as a second load of the addon (process.dlopen of the same file) would add: each
  // load's own env makes its hook another. Stopping the thread twice is harmless.
  napi_add_env_cleanup_hook(env, ahead_shutdown, env);
  return exports;
}
