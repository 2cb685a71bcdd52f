/* The cryptography of the formats, over libsodium: SHA-256, HMAC-SHA256, HKDF, AES-256-GCM, Ed25519. */
#include <sodium.h>
#include <string.h>

#include "internal.h"

int lictor_crypto_ready(lictor_error *err) {
  if (sodium_init() < 0) {
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "libsodium could not be initialized");
  }
  if (!crypto_aead_aes256gcm_is_available()) {
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL",
                       "AES-256-GCM is not available in libsodium on this processor (it needs AES-NI and "
                       "CLMUL): license files cannot be opened here");
  }
  return LICTOR_OK;
}

void lictor_sha256(const void *data, size_t len, uint8_t out[32]) {
  crypto_hash_sha256(out, (const unsigned char *)data, (unsigned long long)len);
}

void lictor_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t out[32]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key, key_len);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, (unsigned long long)len);
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
}

void lictor_hkdf32(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len, const char *info,
                   uint8_t out[32]) {
  uint8_t prk[32];
  static const uint8_t zero[32];
  /* RFC 5869: an empty salt is HashLen zero bytes. */
  lictor_hmac_sha256(salt_len == 0 ? zero : salt, salt_len == 0 ? sizeof zero : salt_len, ikm, ikm_len, prk);
  crypto_auth_hmacsha256_state st;
  const uint8_t one = 1;
  crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)info, strlen(info));
  crypto_auth_hmacsha256_update(&st, &one, 1);
  crypto_auth_hmacsha256_final(&st, out); /* T(1) is the whole 32-byte output */
  sodium_memzero(&st, sizeof st);
  sodium_memzero(prk, sizeof prk);
}

long lictor_aes256gcm_open(const uint8_t key[32], const uint8_t iv[12], const uint8_t *sealed, size_t sealed_len,
                           const uint8_t *aad, size_t aad_len, uint8_t *out) {
  if (sealed_len < crypto_aead_aes256gcm_ABYTES || !crypto_aead_aes256gcm_is_available()) return -1;
  unsigned long long n = 0;
  if (crypto_aead_aes256gcm_decrypt(out, &n, NULL, sealed, sealed_len, aad, aad_len, iv, key) != 0) return -1;
  return (long)n;
}

int lictor_ed25519_verify(const uint8_t pk[32], const void *msg, size_t len, const uint8_t sig[64]) {
  return crypto_sign_verify_detached(sig, (const unsigned char *)msg, (unsigned long long)len, pk) == 0;
}

void lictor_random(uint8_t *out, size_t n) { randombytes_buf(out, n); }
