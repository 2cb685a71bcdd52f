#include "support.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int test_failures = 0;
int test_checks = 0;

int test_report(const char *name) {
  fprintf(stderr, "%s: %d checks, %d failed\n", name, test_checks, test_failures);
  return test_failures == 0 ? 0 : 1;
}

char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  lictor_buf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) lictor_buf_put(&b, chunk, n);
  fclose(f);
  if (lictor_buf_finish(&b) != 0) {
    lictor_buf_free(&b);
    return NULL;
  }
  if (len != NULL) *len = b.len;
  return b.data;
}

lj_value *load_vectors(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.json", LICTOR_SPEC_VECTORS_DIR, name);
  size_t len;
  char *text = read_file(path, &len);
  lj_value *v = text == NULL ? NULL : lj_parse(text, len);
  free(text);
  if (v == NULL) {
    fprintf(stderr, "cannot read the vectors %s\n", path);
    exit(2);
  }
  return v;
}

const char *vstr(const lj_value *obj, const char *key) {
  const lj_value *v = lj_get(obj, key);
  return lj_is_string(v) ? v->str : "";
}

long hex_decode(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  return (long)(n / 2);
}

char *hex_of(const void *bytes, size_t len) {
  lictor_buf b = {0};
  lictor_hex_encode(bytes, len, &b);
  lictor_buf_finish(&b);
  return b.data;
}

lj_value *json_of(const char *text) {
  lj_value *v = lj_parse(text, strlen(text));
  if (v == NULL) {
    fprintf(stderr, "test JSON does not parse: %s\n", text);
    exit(2);
  }
  return v;
}

static void base64_lines(const uint8_t *bytes, size_t len, lictor_buf *out) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  lictor_buf b = {0};
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)bytes[i] << 16 | (i + 1 < len ? (uint32_t)bytes[i + 1] << 8 : 0) |
                 (i + 2 < len ? bytes[i + 2] : 0);
    char q[4] = {abc[v >> 18], abc[(v >> 12) & 63], i + 1 < len ? abc[(v >> 6) & 63] : '=',
                 i + 2 < len ? abc[v & 63] : '='};
    lictor_buf_put(&b, q, 4);
  }
  for (size_t i = 0; i < b.len; i += 64) {
    lictor_buf_put(out, b.data + i, b.len - i < 64 ? b.len - i : 64);
    lictor_buf_putc(out, '\n');
  }
  lictor_buf_free(&b);
}

char *seal_license(const lj_value *doc, const uint8_t vendor_seed[32]) {
  return seal_license_with(doc, vendor_seed, NULL, NULL);
}

char *seal_license_with(const lj_value *doc, const uint8_t vendor_seed[32], const uint8_t salt[16],
                        const uint8_t iv[12]) {
  uint8_t pk[32], sk[64];
  crypto_sign_seed_keypair(pk, sk, vendor_seed);
  lictor_vendor_key key;
  memcpy(key.raw, pk, 32);
  uint8_t digest[32];
  lictor_sha256(pk, 32, digest);
  memcpy(key.key_id, digest, 8);
  lictor_license_steps steps;
  int format = lj_get(doc, "containerKeys") != NULL ? 2 : 1;
  if (lictor_license_steps_compute(doc, format, &key, &steps) != 0) return NULL;
  lictor_buf plain = {0}, payload = {0};
  uint8_t signature[64];
  crypto_sign_detached(signature, NULL, (const uint8_t *)steps.signing_bytes.data, steps.signing_bytes.len, sk);
  lictor_license_steps_free(&steps);
  if (lj_canonical(doc, &payload) != 0) return NULL;
  lictor_buf_put(&plain, signature, 64);
  lictor_buf_put(&plain, payload.data, payload.len);
  lictor_buf_free(&payload);
  uint8_t header[42] = {'L', 'C', 'T', 'R', 1, 1};
  memcpy(header + 6, key.key_id, 8);
  randombytes_buf(header + 14, 28); /* salt and iv */
  if (salt != NULL) memcpy(header + 14, salt, 16);
  if (iv != NULL) memcpy(header + 30, iv, 12);
  uint8_t aes[32];
  lictor_hkdf32(key.raw, 32, header + 14, 16, "lictor/v1/license", aes);
  size_t sealed_len = 42 + plain.len + 16;
  uint8_t *sealed = malloc(sealed_len);
  memcpy(sealed, header, 42);
  unsigned long long clen;
  crypto_aead_aes256gcm_encrypt(sealed + 42, &clen, (const uint8_t *)plain.data, plain.len, header, 42, NULL,
                                header + 30, aes);
  lictor_buf_free(&plain);
  lictor_buf out = {0};
  lictor_buf_puts(&out, "-----BEGIN LICTOR LICENSE-----\n");
  base64_lines(sealed, sealed_len, &out);
  lictor_buf_puts(&out, "-----END LICTOR LICENSE-----\n");
  free(sealed);
  lictor_buf_finish(&out);
  return out.data;
}
