// Helpers defined in keepsake_mount.c and shared by the addon's other files.
#ifndef KEEPSAKE_SHARED_H
#define KEEPSAKE_SHARED_H
#include <node_api.h>
#include <stddef.h>

// Throws `CODE: syscall 'source' -> 'target'` shaped like Node's system errors.
void keepsake_throw_errno(napi_env env, int err, const char *syscall, const char *source,
                          const char *target, int fd);
// A JS string copied into a fresh NUL-terminated buffer (caller frees); see keepsake_mount.c.
char *keepsake_get_string(napi_env env, napi_value value, const char *name, int nullable, int *ok);
#endif
