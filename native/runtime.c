// Things about the running process that Node itself answers only through modules that cost
// an apply more to load than its own work on them: whether a descriptor is a terminal
// (node:tty loads the whole network and stream stack) and setting a V8 flag (node:v8 loads
// the stream stack too, for its heap snapshots). An apply needs both and nothing else of them.
// And one that Node has no call for: how many malloc arenas the process keeps.

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

// isTerminal(fd): whether the descriptor is a terminal, as isatty(3) says.
napi_value keepsake_is_terminal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  uint32_t fd = 0;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, arg, &fd) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "isTerminal expects a descriptor");
    return NULL;
  }
  napi_value result;
  if (napi_get_boolean(env, isatty((int)fd) == 1, &result) != napi_ok) return NULL;
  return result;
}

// setV8Flags(flags): V8's own v8::V8::SetFlagsFromString(const char*), the public call that
// node:v8's setFlagsFromString makes, found in the running Node by its exported name. False
// when this Node does not export it (the caller then uses node:v8).
typedef void (*set_flags_fn)(const char *);
#define SET_FLAGS_SYMBOL "_ZN2v82V818SetFlagsFromStringEPKc"

napi_value keepsake_set_v8_flags(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  char flags[256];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, arg, flags, sizeof flags, &len) != napi_ok ||
      len + 1 >= sizeof flags) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setV8Flags expects a short string");
    return NULL;
  }
  set_flags_fn set_flags = NULL;
  void *found = dlsym(RTLD_DEFAULT, SET_FLAGS_SYMBOL);
  // A data pointer to a function pointer, as POSIX allows for dlsym's result.
  memcpy(&set_flags, &found, sizeof set_flags);
  if (set_flags != NULL) set_flags(flags);
  napi_value result;
  if (napi_get_boolean(env, set_flags != NULL, &result) != napi_ok) return NULL;
  return result;
}

// oneMallocArena(): every thread of the process allocates from the malloc arenas it already
// has, and no thread makes a new one. glibc gives each new thread that allocates an arena of
// its own, up to eight per CPU: for `keepsake diff`, the second thread's listings and V8's
// compiler threads. Memory freed in one arena serves only that one, so each kept its own
// pages resident: 5 to 6 MB of a diff's peak at 1,000,000 files (docs/speed.md). The limit
// holds for arenas made after it is set, so this is called before keepsake starts a thread.
// True when the limit was set (glibc's mallopt returns 1); false elsewhere, where the process
// is only as it was.
napi_value keepsake_one_malloc_arena(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef M_ARENA_MAX
  int set = mallopt(M_ARENA_MAX, 1) == 1;
#else
  int set = 0;
#endif
  napi_value result;
  if (napi_get_boolean(env, set, &result) != napi_ok) return NULL;
  return result;
}
