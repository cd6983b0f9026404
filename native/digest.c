// SHA-256 (FIPS 180-4) and random bytes for keepsake's addon. An apply hashes its
// configuration and its setup, and names temporary files with a few random bytes; taking
// both from node:crypto loads that module, which costs more at every start than all the
// hashing an apply does. The digest is the standard one, byte for byte: caches and records
// keyed by it stay valid whichever side computed it (test/unit/digest.test.ts compares the
// two).

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct {
  uint32_t h[8];
  uint64_t length;  // bytes hashed so far
  uint8_t block[64];
  size_t used;  // bytes waiting in block
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256_ctx *c, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = c->h[0], b = c->h[1], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6],
           h = c->h[7], cc = c->h[2];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = cc;
    cc = b;
    b = a;
    a = t1 + t2;
  }
  c->h[0] += a;
  c->h[1] += b;
  c->h[2] += cc;
  c->h[3] += d;
  c->h[4] += e;
  c->h[5] += f;
  c->h[6] += g;
  c->h[7] += h;
}

static void sha256_init(sha256_ctx *c) {
  static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, H0, sizeof H0);
  c->length = 0;
  c->used = 0;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n) {
  c->length += n;
  if (c->used > 0) {
    size_t take = 64 - c->used < n ? 64 - c->used : n;
    memcpy(c->block + c->used, p, take);
    c->used += take;
    p += take;
    n -= take;
    if (c->used < 64) return;
    sha256_block(c, c->block);
    c->used = 0;
  }
  for (; n >= 64; p += 64, n -= 64) sha256_block(c, p);
  memcpy(c->block, p, n);
  c->used = n;
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->length * 8;
  uint8_t pad[72] = {0x80};
  size_t padding = (c->used < 56 ? 56 : 120) - c->used;
  for (int i = 0; i < 8; i++) pad[padding + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(c, pad, padding + 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

// Hashes one part: a Buffer as its bytes, a string as UTF-8 (as Node's hash.update does).
static int hash_part(napi_env env, sha256_ctx *c, napi_value part) {
  bool is_buffer = false;
  if (napi_is_buffer(env, part, &is_buffer) != napi_ok) return 0;
  if (is_buffer) {
    void *data = NULL;
    size_t n = 0;
    if (napi_get_buffer_info(env, part, &data, &n) != napi_ok) return 0;
    sha256_update(c, data, n);
    return 1;
  }
  size_t n = 0;
  if (napi_get_value_string_utf8(env, part, NULL, 0, &n) != napi_ok) return 0;
  char small[4096];
  char *text = n < sizeof small ? small : malloc(n + 1);
  if (text == NULL) return 0;
  int ok = napi_get_value_string_utf8(env, part, text, n + 1, &n) == napi_ok;
  if (ok) sha256_update(c, (const uint8_t *)text, n);
  if (text != small) free(text);
  return ok;
}

// sha256Hex(parts: Array<string | Buffer>): the hex digest of the parts' bytes, one after
// another (as successive hash.update calls).
napi_value keepsake_sha256_hex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value list;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_get_cb_info(env, info, &argc, &list, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_array(env, list, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, list, &count) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "sha256Hex expects an array");
    return NULL;
  }
  sha256_ctx c;
  sha256_init(&c);
  for (uint32_t i = 0; i < count; i++) {
    napi_value part;
    if (napi_get_element(env, list, i, &part) != napi_ok || !hash_part(env, &c, part)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "sha256Hex: parts are strings or Buffers");
      return NULL;
    }
  }
  uint8_t digest[32];
  sha256_final(&c, digest);
  static const char hex[] = "0123456789abcdef";
  char text[64];
  for (int i = 0; i < 32; i++) {
    text[2 * i] = hex[digest[i] >> 4];
    text[2 * i + 1] = hex[digest[i] & 15];
  }
  napi_value result;
  if (napi_create_string_latin1(env, text, 64, &result) != napi_ok) return NULL;
  return result;
}

// randomHex(bytes: number): that many bytes from getrandom(2), in hex; undefined when the
// kernel cannot give them (the caller then asks node:crypto).
napi_value keepsake_random_hex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  uint32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, arg, &n) != napi_ok || n == 0 || n > 64) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "randomHex expects 1 to 64 bytes");
    return NULL;
  }
  uint8_t bytes[64];
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(bytes + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      napi_value undefined;
      napi_get_undefined(env, &undefined);
      return undefined;
    }
    got += (size_t)r;
  }
  static const char hex[] = "0123456789abcdef";
  char text[128];
  for (uint32_t i = 0; i < n; i++) {
    text[2 * i] = hex[bytes[i] >> 4];
    text[2 * i + 1] = hex[bytes[i] & 15];
  }
  napi_value result;
  if (napi_create_string_latin1(env, text, 2 * n, &result) != napi_ok) return NULL;
  return result;
}
