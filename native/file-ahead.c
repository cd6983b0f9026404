// Reading one file on a thread of its own while JavaScript goes on: the mount table, which the
// kernel writes out line by line as it is read. At 1,300 mounts that is 2 to 3.5 ms of kernel
// time on the reference machine, which an apply otherwise spends waiting before it can plan;
// started as the apply begins to load its model (src/apply/pipeline.ts), it is read by the
// time the model is.
//
// fileAhead(path): starts reading `path`; a ticket (a positive integer), or 0 when no thread
// could be made (the caller reads the file itself). A read still under way or never taken is
// waited for and dropped first: one read at a time, and only the latest is ever handed out.
// fileAheadTake(ticket): waits for the read of that ticket, then its text, decoded from UTF-8
// as node:fs decodes it; undefined when the read failed, the ticket is not the latest, or it
// was taken already. The caller then reads the file itself, and gets node:fs's error.

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "shared.h"

// Far beyond any mount table (138 KB at 1,300 mounts); a larger file is read by node:fs.
#define MAX_AHEAD_BYTES (64u << 20)
#define FIRST_AHEAD_BYTES (256u << 10)

static struct {
  pthread_mutex_t mu;  // guards everything below, for Node's worker threads
  pthread_t thread;
  int running;        // a thread was started and not yet joined
  uint32_t ticket;    // of the latest read
  int taken;          // the latest read was handed out or dropped
  char *path;
  char *bytes;        // what the thread read, or NULL
  size_t length;
} ahead = {.mu = PTHREAD_MUTEX_INITIALIZER};

// The thread: reads the whole file into `ahead.bytes`. It touches nothing else, and the main
// thread reads what it wrote only after joining it.
static void *read_whole(void *unused) {
  (void)unused;
  int fd = open(ahead.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t size = FIRST_AHEAD_BYTES, used = 0;
  char *buf = malloc(size);
  while (buf != NULL) {
    if (used == size) {
      char *bigger = size < MAX_AHEAD_BYTES ? realloc(buf, size * 2) : NULL;
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      size *= 2;
    }
    ssize_t n = read(fd, buf + used, size - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      free(buf);
      buf = NULL;
      break;
    }
    if (n == 0) break;
    used += (size_t)n;
  }
  close(fd);
  ahead.bytes = buf;
  ahead.length = used;
  return NULL;
}

// Waits for the thread, if one is running, and drops what it read. Called with `mu` held.
static void drop_read(void) {
  if (ahead.running) pthread_join(ahead.thread, NULL);
  ahead.running = 0;
  free(ahead.bytes);
  free(ahead.path);
  ahead.bytes = NULL;
  ahead.path = NULL;
  ahead.taken = 1;
}

napi_value keepsake_file_ahead(napi_env env, napi_callback_info info) {
  napi_value arg, result;
  if (!keepsake_get_args(env, info, 1, &arg, "fileAhead expects a path")) return NULL;
  int ok = 0;
  char *path = keepsake_get_string(env, arg, "path", 0, &ok);
  if (!ok) return NULL;
  uint32_t ticket = 0;
  pthread_mutex_lock(&ahead.mu);
  drop_read();
  ahead.path = path;
  pthread_attr_t attr;
  // A small stack: the thread calls open, read and malloc, nothing deep.
  int made = pthread_attr_init(&attr) == 0;
  if (made) {
    pthread_attr_setstacksize(&attr, 64u << 10);
    made = pthread_create(&ahead.thread, &attr, read_whole, NULL) == 0;
    pthread_attr_destroy(&attr);
  }
  if (made) {
    ahead.running = 1;
    ahead.taken = 0;
    ahead.ticket = ahead.ticket == INT32_MAX ? 1 : ahead.ticket + 1;
    ticket = ahead.ticket;
  } else {
    free(ahead.path);
    ahead.path = NULL;
  }
  pthread_mutex_unlock(&ahead.mu);
  if (napi_create_uint32(env, ticket, &result) != napi_ok) return NULL;
  return result;
}

napi_value keepsake_file_ahead_take(napi_env env, napi_callback_info info) {
  napi_value arg, result;
  if (!keepsake_get_args(env, info, 1, &arg, "fileAheadTake expects a ticket")) return NULL;
  uint32_t ticket = 0;
  if (napi_get_value_uint32(env, arg, &ticket) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fileAheadTake expects a ticket");
    return NULL;
  }
  if (napi_get_undefined(env, &result) != napi_ok) return NULL;
  pthread_mutex_lock(&ahead.mu);
  if (ticket == 0 || ticket != ahead.ticket || ahead.taken) {
    pthread_mutex_unlock(&ahead.mu);
    return result;
  }
  if (ahead.running) pthread_join(ahead.thread, NULL);
  ahead.running = 0;
  napi_value text;
  // Into a JavaScript string before the bytes are freed; a failure leaves `result` undefined.
  if (ahead.bytes != NULL &&
      napi_create_string_utf8(env, ahead.bytes, ahead.length, &text) == napi_ok)
    result = text;
  drop_read();
  pthread_mutex_unlock(&ahead.mu);
  return result;
}
