// Thin N-API wrappers over mount(2), umount2(2) and flock(2): one syscall per call, errors
// thrown as Error objects shaped like Node's system errors (code, errno, syscall, path).
// runSteps (native/steps.c) carries out a run of the executor's common steps in one call.
// listDir (native/list-dir.c) is the other exception: it reads a directory and lstats its
// non-directories, and can read ahead on a second thread.

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include "shared.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHECK(env, call)                                                                         \
  do {                                                                                           \
    if ((call) != napi_ok) {                                                                     \
      napi_throw_error((env), NULL, "keepsake_mount: N-API call failed: " #call);                \
      return NULL;                                                                               \
    }                                                                                            \
  } while (0)

#define ERRNO_CASE(e) \
  case e:             \
    return #e;

static const char *errno_name(int err) {
  switch (err) {
    ERRNO_CASE(EPERM)
    ERRNO_CASE(ENOENT)
    ERRNO_CASE(EINTR)
    ERRNO_CASE(EIO)
    ERRNO_CASE(ENXIO)
    ERRNO_CASE(EBADF)
    ERRNO_CASE(EAGAIN)
    ERRNO_CASE(ENOMEM)
    ERRNO_CASE(EACCES)
    ERRNO_CASE(EFAULT)
    ERRNO_CASE(ENOTBLK)
    ERRNO_CASE(EBUSY)
    ERRNO_CASE(EEXIST)
    ERRNO_CASE(EXDEV)
    ERRNO_CASE(ENODEV)
    ERRNO_CASE(ENOTDIR)
    ERRNO_CASE(EISDIR)
    ERRNO_CASE(EINVAL)
    ERRNO_CASE(ENFILE)
    ERRNO_CASE(EMFILE)
    ERRNO_CASE(ENOSPC)
    ERRNO_CASE(EROFS)
    ERRNO_CASE(EMLINK)
    ERRNO_CASE(ENAMETOOLONG)
    ERRNO_CASE(ENOLCK)
    ERRNO_CASE(ENOSYS)
    ERRNO_CASE(ELOOP)
    ERRNO_CASE(EOPNOTSUPP)
    ERRNO_CASE(EOVERFLOW)
    ERRNO_CASE(ESTALE)
    ERRNO_CASE(EUCLEAN)
    default:
      return "UNKNOWN";
  }
}

static napi_status set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_status s = napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

// Throws `CODE: syscall 'source' -> 'target'`; source or target may be NULL (fd for flock).
void keepsake_throw_errno(napi_env env, int err, const char *syscall, const char *source,
                          const char *target, int fd) {
  const char *code = errno_name(err);
  char buf[512];
  if (source && target)
    snprintf(buf, sizeof buf, "%s: %s '%s' -> '%s'", code, syscall, source, target);
  else if (target)
    snprintf(buf, sizeof buf, "%s: %s '%s'", code, syscall, target);
  else
    snprintf(buf, sizeof buf, "%s: %s fd %d", code, syscall, fd);

  napi_value msg, error, errno_value, fd_value;
  if (napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_error(env, NULL, msg, &error) != napi_ok) {
    napi_throw_error(env, code, buf);
    return;
  }
  set_string(env, error, "code", code);
  set_string(env, error, "syscall", syscall);
  if (napi_create_int32(env, err, &errno_value) == napi_ok)
    napi_set_named_property(env, error, "errno", errno_value);
  if (target) set_string(env, error, "path", target);
  if (source) set_string(env, error, "source", source);
  if (!target && napi_create_int32(env, fd, &fd_value) == napi_ok)
    napi_set_named_property(env, error, "fd", fd_value);
  napi_throw(env, error);
}

// Copies a JS string into a fresh buffer (caller frees). NULL with *ok = 1 means null was
// allowed and given; NULL with *ok = 0 means an exception is pending.
char *keepsake_get_string(napi_env env, napi_value value, const char *name, int nullable,
                          int *ok) {
  napi_valuetype type;
  *ok = 0;
  if (napi_typeof(env, value, &type) != napi_ok) return NULL;
  if (nullable && (type == napi_null || type == napi_undefined)) {
    *ok = 1;
    return NULL;
  }
  char what[96];
  snprintf(what, sizeof what, "%s must be a string%s", name, nullable ? " or null" : "");
  if (type != napi_string) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return NULL;
  }
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) return NULL;
  char *buf = malloc(len + 1);
  if (!buf) {
    napi_throw_error(env, "ENOMEM", "keepsake_mount: out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, buf, len + 1, &len) != napi_ok) {
    free(buf);
    return NULL;
  }
  // An embedded NUL would silently shorten the path the kernel sees.
  if (strlen(buf) != len) {
    free(buf);
    snprintf(what, sizeof what, "%s must not contain NUL bytes", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", what);
    return NULL;
  }
  *ok = 1;
  return buf;
}

static int get_int64(napi_env env, napi_value value, const char *name, int64_t *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return 0;
  if (type != napi_number) {
    char what[64];
    snprintf(what, sizeof what, "%s must be a number", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return 0;
  }
  return napi_get_value_int64(env, value, out) == napi_ok;
}

// The call's arguments into argv[want]; 0 with an exception pending when fewer were given.
int keepsake_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                      const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", usage);
    return 0;
  }
  return 1;
}

// mount(source: string|null, target: string, fstype: string|null, flags: number, data: string|null)
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!keepsake_get_args(env, info, 5, argv, "mount expects 5 arguments")) return NULL;
  int64_t flags = 0;
  int ok = 0;
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  source = keepsake_get_string(env, argv[0], "source", 1, &ok);
  if (ok) target = keepsake_get_string(env, argv[1], "target", 0, &ok);
  if (ok) fstype = keepsake_get_string(env, argv[2], "fstype", 1, &ok);
  if (ok) ok = get_int64(env, argv[3], "flags", &flags);
  if (ok) data = keepsake_get_string(env, argv[4], "data", 1, &ok);
  if (ok && mount(source, target, fstype, (unsigned long)flags, data) != 0)
    keepsake_throw_errno(env, errno, "mount", source, target, -1);
  free(source);
  free(target);
  free(fstype);
  free(data);
  return NULL;
}

// umount2(target: string, flags: number)
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!keepsake_get_args(env, info, 2, argv, "umount2 expects 2 arguments")) return NULL;
  int64_t flags = 0;
  int ok = 0;
  char *target = keepsake_get_string(env, argv[0], "target", 0, &ok);
  if (ok) ok = get_int64(env, argv[1], "flags", &flags);
  if (ok && umount2(target, (int)flags) != 0)
    keepsake_throw_errno(env, errno, "umount2", NULL, target, -1);
  free(target);
  return NULL;
}

// flock(fd: number, operation: number); retried on EINTR so a signal does not look like failure.
static napi_value js_flock(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!keepsake_get_args(env, info, 2, argv, "flock expects 2 arguments")) return NULL;
  int64_t fd = 0, op = 0;
  if (!get_int64(env, argv[0], "fd", &fd) || !get_int64(env, argv[1], "operation", &op))
    return NULL;
  int r;
  do r = flock((int)fd, (int)op);
  while (r != 0 && errno == EINTR);
  if (r != 0) keepsake_throw_errno(env, errno, "flock", NULL, NULL, (int)fd);
  return NULL;
}


// copyXattrs(from, to): every extended attribute of one open file onto another, by
// descriptor (flistxattr, fgetxattr, fsetxattr); returns how many were copied.
static napi_value js_copy_xattrs(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!keepsake_get_args(env, info, 2, argv, "copyXattrs expects 2 arguments")) return NULL;
  int64_t from = 0, to = 0;
  if (!get_int64(env, argv[0], "from", &from) || !get_int64(env, argv[1], "to", &to)) return NULL;
  ssize_t len = flistxattr((int)from, NULL, 0);
  if (len < 0) {
    if (errno == ENOTSUP) len = 0;
    else {
      keepsake_throw_errno(env, errno, "flistxattr", NULL, NULL, (int)from);
      return NULL;
    }
  }
  char *names = len > 0 ? malloc((size_t)len) : NULL;
  if (len > 0 && !names) {
    napi_throw_error(env, "ENOMEM", "keepsake_mount: out of memory");
    return NULL;
  }
  if (len > 0) len = flistxattr((int)from, names, (size_t)len);
  int copied = 0;
  for (ssize_t i = 0; len > 0 && i < len; i += (ssize_t)strlen(names + i) + 1) {
    const char *name = names + i;
    ssize_t size = fgetxattr((int)from, name, NULL, 0);
    if (size < 0) continue; /* gone since it was listed */
    char *value = malloc(size > 0 ? (size_t)size : 1);
    if (!value) break;
    size = fgetxattr((int)from, name, value, (size_t)size);
    if (size >= 0 && fsetxattr((int)to, name, value, (size_t)size, 0) != 0) {
      int err = errno;
      free(value);
      free(names);
      keepsake_throw_errno(env, err, "fsetxattr", NULL, NULL, (int)to);
      return NULL;
    }
    free(value);
    copied++;
  }
  free(names);
  napi_value result;
  CHECK(env, napi_create_int32(env, copied, &result));
  return result;
}

// lstatInto(path: string, out: Float64Array): 0, or the negative errno. Fills out[0..5] with
// st_mode, st_uid, st_gid, st_size, st_dev and st_ino: the planner's questions about thousands
// of paths, without an fs.Stats object (and its four Dates) for each.
static napi_value js_lstat_into(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!keepsake_get_args(env, info, 2, argv, "lstatInto expects 2 arguments")) return NULL;
  int ok = 0;
  char *target = keepsake_get_string(env, argv[0], "path", 0, &ok);
  if (!ok) return NULL;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  bool is_typed = false;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length < 6) {
    free(target);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "out must be a Float64Array of 6 or more");
    return NULL;
  }
  struct stat st;
  int result = lstat(target, &st) == 0 ? 0 : -errno;
  free(target);
  if (result == 0) {
    double *out = data;
    out[0] = (double)st.st_mode;
    out[1] = (double)st.st_uid;
    out[2] = (double)st.st_gid;
    out[3] = (double)st.st_size;
    out[4] = (double)st.st_dev;
    out[5] = (double)st.st_ino;
  }
  napi_value value;
  CHECK(env, napi_create_int32(env, result, &value));
  return value;
}

// readLink(path: string): the target of the symbolic link at `path`, decoded from UTF-8 as
// node:fs decodes it; or the negative errno. For the planner's links, without what
// fs.readlinkSync does around the call (options, path checks, an error object made ready).
static napi_value js_read_link(napi_env env, napi_callback_info info) {
  napi_value arg, value;
  if (!keepsake_get_args(env, info, 1, &arg, "readLink expects a path")) return NULL;
  int ok = 0;
  char *target = keepsake_get_string(env, arg, "path", 0, &ok);
  if (!ok) return NULL;
  char small[512];
  char *buf = small;
  size_t size = sizeof small;
  ssize_t n;
  // A link's target is at most PATH_MAX bytes, but may change while it is read: a result that
  // fills the buffer is read again into a larger one.
  for (;;) {
    n = readlink(target, buf, size);
    if (n < 0 || (size_t)n < size || size >= (1u << 20)) break;
    size *= 2;
    char *bigger = buf == small ? malloc(size) : realloc(buf, size);
    if (bigger == NULL) {
      n = -1;
      errno = ENOMEM;
      break;
    }
    buf = bigger;
  }
  int err = errno;
  free(target);
  napi_status status = n >= 0 && (size_t)n < size
                           ? napi_create_string_utf8(env, buf, (size_t)n, &value)
                           : napi_create_int32(env, n >= 0 ? -ENAMETOOLONG : -err, &value);
  if (buf != small) free(buf);
  CHECK(env, status);
  return value;
}

// native/steps.c
napi_value keepsake_run_steps(napi_env env, napi_callback_info info);
napi_value keepsake_reset_steps(napi_env env, napi_callback_info info);
// native/digest.c
napi_value keepsake_sha256_hex(napi_env env, napi_callback_info info);
napi_value keepsake_random_hex(napi_env env, napi_callback_info info);
// native/list-dir.c
napi_value keepsake_define_list_dir(napi_env env, napi_value exports);
// native/runtime.c
napi_value keepsake_is_terminal(napi_env env, napi_callback_info info);
napi_value keepsake_set_v8_flags(napi_env env, napi_callback_info info);
napi_value keepsake_one_malloc_arena(napi_env env, napi_callback_info info);
// native/load-code.c
napi_value keepsake_read_script(napi_env env, napi_callback_info info);
napi_value keepsake_map_file(napi_env env, napi_callback_info info);
// native/file-ahead.c
napi_value keepsake_file_ahead(napi_env env, napi_callback_info info);
napi_value keepsake_file_ahead_take(napi_env env, napi_callback_info info);

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flock", NULL, js_flock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyXattrs", NULL, js_copy_xattrs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lstatInto", NULL, js_lstat_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readLink", NULL, js_read_link, NULL, NULL, NULL, napi_enumerable, NULL},
      {"runSteps", NULL, keepsake_run_steps, NULL, NULL, NULL, napi_enumerable, NULL},
      {"resetSteps", NULL, keepsake_reset_steps, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sha256Hex", NULL, keepsake_sha256_hex, NULL, NULL, NULL, napi_enumerable, NULL},
      {"randomHex", NULL, keepsake_random_hex, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isTerminal", NULL, keepsake_is_terminal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setV8Flags", NULL, keepsake_set_v8_flags, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readScript", NULL, keepsake_read_script, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapFile", NULL, keepsake_map_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileAhead", NULL, keepsake_file_ahead, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileAheadTake", NULL, keepsake_file_ahead_take, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"oneMallocArena", NULL, keepsake_one_malloc_arena, NULL, NULL, NULL, napi_enumerable,
       NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return keepsake_define_list_dir(env, exports);
}
