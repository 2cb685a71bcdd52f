/* base64url, base64 and hex, strict as docs/spec/README.md (Encodings) says: canonical text only. */
#include <string.h>

#include "internal.h"

static int b64_value(char c, int url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

/* Decodes `len` alphabet characters (no padding); rejects a length of 1 mod 4 and unused bits set. */
static long decode_core(const char *text, size_t len, uint8_t *out, size_t cap, int url) {
  if (len % 4 == 1) return -1;
  size_t need = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
  if (need > cap) return -1;
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_value(text[i], url);
    if (v < 0) return -1;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return -1; /* unused low bits of the last character must be zero */
  return (long)n;
}

long lictor_b64url_decode(const char *text, size_t len, uint8_t *out, size_t cap) {
  return decode_core(text, len, out, cap, 1);
}

long lictor_b64_decode(const char *text, size_t len, uint8_t *out, size_t cap) {
  if (len % 4 != 0) return -1;
  size_t pad = 0;
  while (pad < 2 && pad < len && text[len - 1 - pad] == '=') pad++;
  if (pad == 2 && len >= 3 && text[len - 3] == '=') return -1; /* three '=' */
  /* "xx==" holds one byte, "xxx=" two: the characters before the padding decode like base64url of that length. */
  return decode_core(text, len - pad, out, cap, 0);
}

void lictor_b64url_encode(const uint8_t *bytes, size_t len, lictor_buf *out) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = (uint32_t)bytes[i] << 16 | (uint32_t)bytes[i + 1] << 8 | bytes[i + 2];
    char q[4] = {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63]};
    lictor_buf_put(out, q, 4);
  }
  if (len - i == 1) {
    uint32_t v = (uint32_t)bytes[i] << 16;
    char q[2] = {abc[v >> 18], abc[(v >> 12) & 63]};
    lictor_buf_put(out, q, 2);
  } else if (len - i == 2) {
    uint32_t v = (uint32_t)bytes[i] << 16 | (uint32_t)bytes[i + 1] << 8;
    char q[3] = {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63]};
    lictor_buf_put(out, q, 3);
  }
}

void lictor_hex_encode(const uint8_t *bytes, size_t len, lictor_buf *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    char h[2] = {hex[bytes[i] >> 4], hex[bytes[i] & 15]};
    lictor_buf_put(out, h, 2);
  }
}
