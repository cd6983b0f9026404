// Reading keepsake's own code, and V8's cache of it, with fewer copies than Node makes. Every
// apply starts by compiling dist/bundle/apply.cjs (259 KB) with V8's code cache for it (380 KB,
// bin/compile-cache.js). Through node:fs the file's bytes land in a Buffer, are decoded from
// UTF-8 into a string, and are copied once more into the text of the wrapper Node puts around
// a CommonJS file; the cache lands in another Buffer. Each copy is memory the process touches
// for the first time, which is what a short process pays most for on a virtual machine: 5 to 6
// ms of every apply's start on the reference machine (docs/speed.md).

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared.h"

// Larger than any file of keepsake's code by far; a larger one is read the usual way.
#define MAX_SCRIPT_BYTES (64u << 20)

// node_api_create_external_string_latin1, which Node has exported since 20.4 (and 18.18),
// looked up in the running Node so that the addon still loads in one without it.
typedef napi_status (*external_latin1_fn)(napi_env, char *, size_t,
                                          void (*)(napi_env, void *, void *), void *,
                                          napi_value *, bool *);

static void free_text(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static void unmap(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

// The whole of the regular file behind fd into buf (size bytes); false on a short read.
static bool read_all(int fd, char *buf, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += (size_t)n;
  }
  return true;
}

static bool ascii(const char *text, size_t n) {
  unsigned char any = 0;
  for (size_t i = 0; i < n; i++) any |= (unsigned char)text[i];
  return (any & 0x80) == 0;
}

// readScript(path, head, tail): [head + the file's text + tail, the SHA-256 of the file's
// bytes in hex], the text one string that V8 reads where it lies (an external string) rather
// than a copy on its heap. Only for a file that is ASCII throughout (esbuild writes ASCII), so
// that its bytes are its text as Latin-1 too. Undefined where that does not hold, or the file
// is not a regular file that can be read whole (a link is not followed): the caller then reads
// it the usual way, and reports what is wrong as node:fs does.
// The text is the process's own copy, not a mapping of the file: V8 compiles a function that is
// not in the code cache from it at its first call, whenever that is, and a file replaced in
// place meanwhile (an upgrade) must not change what it compiles.
napi_value keepsake_read_script(napi_env env, napi_callback_info info) {
  napi_value args[3];
  if (!keepsake_get_args(env, info, 3, args, "readScript expects 3 arguments")) return NULL;
  int ok = 0;
  char *file = keepsake_get_string(env, args[0], "path", 0, &ok);
  char *head = ok ? keepsake_get_string(env, args[1], "head", 0, &ok) : NULL;
  char *tail = ok ? keepsake_get_string(env, args[2], "tail", 0, &ok) : NULL;
  napi_value result = NULL;
  char *text = NULL;
  int fd = -1;
  if (!ok) goto done;
  if (napi_get_undefined(env, &result) != napi_ok) goto done;
  fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
      (uint64_t)st.st_size > MAX_SCRIPT_BYTES)
    goto done;
  size_t before = strlen(head), size = (size_t)st.st_size, after = strlen(tail);
  size_t length = before + size + after;
  text = malloc(length > 0 ? length : 1);
  if (text == NULL) goto done;
  memcpy(text, head, before);
  if (!read_all(fd, text + before, size)) goto done;
  memcpy(text + before + size, tail, after);
  if (!ascii(text, length)) goto done;
  char digest[64];
  keepsake_sha256_hex_of((const uint8_t *)text + before, size, digest);

  napi_value source, hex, pair;
  external_latin1_fn external = NULL;
  void *found = dlsym(RTLD_DEFAULT, "node_api_create_external_string_latin1");
  // A data pointer to a function pointer, as POSIX allows for dlsym's result.
  memcpy(&external, &found, sizeof external);
  bool copied = false;
  if (external != NULL && external(env, text, length, free_text, NULL, &source, &copied) == napi_ok) {
    // `text` is the string's now: V8 frees it through free_text when the string dies, and
    // where Node made a copy instead (`copied`), it has freed it already. Either way not here.
    text = NULL;
  } else if (napi_create_string_latin1(env, text, length, &source) != napi_ok) {
    goto done;
  }
  if (napi_create_string_latin1(env, digest, sizeof digest, &hex) != napi_ok ||
      napi_create_array_with_length(env, 2, &pair) != napi_ok ||
      napi_set_element(env, pair, 0, source) != napi_ok ||
      napi_set_element(env, pair, 1, hex) != napi_ok)
    goto done;
  result = pair;
done:
  if (fd >= 0) close(fd);
  free(text);
  free(file);
  free(head);
  free(tail);
  return result;
}

// mapFile(fd): a Uint8Array of the whole regular file behind fd, mapped read-only and private
// instead of read into memory of the process's own: the pages are the page cache's, and a page
// read for the first time costs far less than one written. Undefined for an empty file or one
// that cannot be mapped (the caller reads it).
// For V8's code cache only, which V8 reads once, while it compiles. Invariant: keepsake never
// rewrites a cache file in place (a new file is renamed over the old one, writeCache in
// bin/compile-cache.js), so the mapping cannot shrink under V8 (SIGBUS) or change while read.
napi_value keepsake_map_file(napi_env env, napi_callback_info info) {
  napi_value arg;
  int32_t fd = -1;
  if (!keepsake_get_args(env, info, 1, &arg, "mapFile expects a descriptor")) return NULL;
  if (napi_get_value_int32(env, arg, &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "mapFile expects a descriptor");
    return NULL;
  }
  napi_value result;
  if (napi_get_undefined(env, &result) != napi_ok) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return result;
  size_t size = (size_t)st.st_size;
  void *bytes = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (bytes == MAP_FAILED) return result;
  napi_value buffer, view;
  if (napi_create_external_arraybuffer(env, bytes, size, unmap, (void *)(uintptr_t)size,
                                       &buffer) != napi_ok) {
    munmap(bytes, size);
    return result;
  }
  if (napi_create_typedarray(env, napi_uint8_array, size, buffer, 0, &view) != napi_ok)
    return result;
  return view;
}
