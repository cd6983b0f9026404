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

static void sha256_block(uint32_t state[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], d = state[3], e = state[4], f = state[5], g = state[6],
           h = state[7], cc = state[2];
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
  state[0] += a;
  state[1] += b;
  state[2] += cc;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

static void sha256_blocks_portable(uint32_t state[8], const uint8_t *p, size_t blocks) {
  for (; blocks > 0; blocks--, p += 64) sha256_block(state, p);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

// The same blocks with the processor's SHA extensions (Intel SHA-NI, on most x86-64 since
// 2017), several times faster; chosen at run time (sha256_blocks below). Each group of four
// rounds takes the next four words of the message schedule, made from the four before them.
__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_blocks_shani(uint32_t state[8],
                                                                           const uint8_t *p,
                                                                           size_t blocks) {
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);  // CDAB
  __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);   // EFGH
  __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);                                            // ABEF
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);                                                 // CDGH
  for (; blocks > 0; blocks--, p += 64) {
    const __m128i abef = s0, cdgh = s1;
    __m128i w[4];
    for (int i = 0; i < 4; i++)
      w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
    for (int g = 0; g < 16; g++) {
      if (g >= 4) {
        // w[g % 4] holds words g-4, w[(g + 1) % 4] g-3, w[(g + 2) % 4] g-2, w[(g + 3) % 4] g-1.
        __m128i t = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
        w[g & 3] = _mm_sha256msg2_epu32(t, w[(g + 3) & 3]);
      }
      __m128i m = _mm_add_epi32(w[g & 3], _mm_loadu_si128((const __m128i *)&K[4 * g]));
      s1 = _mm_sha256rnds2_epu32(s1, s0, m);
      s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
    }
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
  }
  // Back to the order of state[]: A B C D, then E F G H.
  tmp = _mm_shuffle_epi32(s0, 0x1B);
  s1 = _mm_shuffle_epi32(s1, 0xB1);
  s0 = _mm_blend_epi16(tmp, s1, 0xF0);
  s1 = _mm_alignr_epi8(s1, tmp, 8);
  _mm_storeu_si128((__m128i *)&state[0], s0);
  _mm_storeu_si128((__m128i *)&state[4], s1);
}

// SHA-NI where the processor has it (with SSSE3 and SSE4.1, which it uses), unless
// KEEPSAKE_SHA256_PORTABLE is set (the tests compare both ways with node:crypto).
static int use_shani(void) {
  static int known = -1;
  if (known < 0) {
    unsigned a, b, c, d;
    int sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
    int sse = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) && (c & (1u << 9));
    const char *portable = getenv("KEEPSAKE_SHA256_PORTABLE");
    known = sha && sse && !(portable && *portable);
  }
  return known;
}

static void sha256_blocks(uint32_t state[8], const uint8_t *p, size_t blocks) {
  if (use_shani())
    sha256_blocks_shani(state, p, blocks);
  else
    sha256_blocks_portable(state, p, blocks);
}
#else
static void sha256_blocks(uint32_t state[8], const uint8_t *p, size_t blocks) {
  sha256_blocks_portable(state, p, blocks);
}
#endif

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
    sha256_blocks(c->h, c->block, 1);
    c->used = 0;
  }
  sha256_blocks(c->h, p, n / 64);
  p += n - n % 64;
  n %= 64;
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

static void hex_of(const uint8_t digest[32], char out[64]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
}

void keepsake_sha256_hex_of(const uint8_t *bytes, size_t n, char out[64]) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, bytes, n);
  uint8_t digest[32];
  sha256_final(&c, digest);
  hex_of(digest, out);
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
  char text[64];
  hex_of(digest, text);
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
