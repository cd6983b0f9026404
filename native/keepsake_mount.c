// Thin N-API wrappers over mount(2), umount2(2) and flock(2): one syscall per call, errors
// thrown as Error objects shaped like Node's system errors (code, errno, syscall, path).

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>

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
static void throw_errno(napi_env env, int err, const char *syscall, const char *source,
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
static char *get_string(napi_env env, napi_value value, const char *name, int nullable, int *ok) {
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

// mount(source: string|null, target: string, fstype: string|null, flags: number, data: string|null)
static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "mount expects 5 arguments");
    return NULL;
  }
  int64_t flags = 0;
  int ok = 0;
  char *source = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  source = get_string(env, argv[0], "source", 1, &ok);
  if (ok) target = get_string(env, argv[1], "target", 0, &ok);
  if (ok) fstype = get_string(env, argv[2], "fstype", 1, &ok);
  if (ok) ok = get_int64(env, argv[3], "flags", &flags);
  if (ok) data = get_string(env, argv[4], "data", 1, &ok);
  if (ok && mount(source, target, fstype, (unsigned long)flags, data) != 0)
    throw_errno(env, errno, "mount", source, target, -1);
  free(source);
  free(target);
  free(fstype);
  free(data);
  return NULL;
}

// umount2(target: string, flags: number)
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "umount2 expects 2 arguments");
    return NULL;
  }
  int64_t flags = 0;
  int ok = 0;
  char *target = get_string(env, argv[0], "target", 0, &ok);
  if (ok) ok = get_int64(env, argv[1], "flags", &flags);
  if (ok && umount2(target, (int)flags) != 0) throw_errno(env, errno, "umount2", NULL, target, -1);
  free(target);
  return NULL;
}

// flock(fd: number, operation: number); retried on EINTR so a signal does not look like failure.
static napi_value js_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "flock expects 2 arguments");
    return NULL;
  }
  int64_t fd = 0, op = 0;
  if (!get_int64(env, argv[0], "fd", &fd) || !get_int64(env, argv[1], "operation", &op))
    return NULL;
  int r;
  do r = flock((int)fd, (int)op);
  while (r != 0 && errno == EINTR);
  if (r != 0) throw_errno(env, errno, "flock", NULL, NULL, (int)fd);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flock", NULL, js_flock, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
