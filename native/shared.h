// Helpers shared by the addon's files.
#ifndef KEEPSAKE_SHARED_H
#define KEEPSAKE_SHARED_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

// Defined in keepsake_mount.c.
// Throws `CODE: syscall 'source' -> 'target'` shaped like Node's system errors.
void keepsake_throw_errno(napi_env env, int err, const char *syscall, const char *source,
                          const char *target, int fd);
// The first `want` arguments into argv; false, with a TypeError thrown (`usage`), if fewer.
int keepsake_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                      const char *usage);
// A JS string copied into a fresh NUL-terminated buffer (caller frees).
char *keepsake_get_string(napi_env env, napi_value value, const char *name, int nullable, int *ok);

// Defined in digest.c.
// The SHA-256 of n bytes, as 64 lowercase hex digits (not NUL-terminated).
void keepsake_sha256_hex_of(const uint8_t *bytes, size_t n, char out[64]);
#endif
