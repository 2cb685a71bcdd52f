/*
 * The cryptography of the formats, over libsodium: SHA-256, HMAC-SHA256, HKDF, AES-256-GCM, Ed25519,
 * and X25519 for secrets sealed to a container (answer sessions).
 */
#include <sodium.h>
#include <stdlib.h>
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

/* The HKDF info of a sealed secret: "lictor/v1/seal/<context>"; 0, or -1 when it does not fit. */
static int seal_info(const char *context, char info[128]) {
  size_t n = strlen(context);
  if (n > 100) return -1;
  memcpy(info, "lictor/v1/seal/", 15);
  memcpy(info + 15, context, n + 1);
  return 0;
}

int lictor_seal_to_container(const uint8_t box_pk[32], const uint8_t *secret, size_t secret_len, const char *context,
                             const uint8_t *ephemeral, const uint8_t *iv, lictor_buf *out) {
  char info[128];
  if (!crypto_aead_aes256gcm_is_available() || seal_info(context, info) != 0 || secret_len > 1024) return -1;
  uint8_t e[32], shared[32], key[32];
  /* E ‖ iv ‖ ciphertext ‖ tag */
  uint8_t sealed[32 + 12 + 1024 + crypto_aead_aes256gcm_ABYTES];
  if (ephemeral != NULL) {
    memcpy(e, ephemeral, 32);
  } else {
    randombytes_buf(e, 32);
  }
  if (iv != NULL) {
    memcpy(sealed + 32, iv, 12);
  } else {
    randombytes_buf(sealed + 32, 12);
  }
  int rc = -1;
  /* crypto_scalarmult refuses an all-zero shared secret (a low-order key); checked again here. */
  if (crypto_scalarmult_base(sealed, e) == 0 && crypto_scalarmult(shared, e, box_pk) == 0 &&
      !sodium_is_zero(shared, sizeof shared)) {
    lictor_hkdf32(shared, sizeof shared, sealed, 32, info, key);
    unsigned long long n = 0;
    if (crypto_aead_aes256gcm_encrypt(sealed + 44, &n, secret, secret_len, (const unsigned char *)context,
                                      strlen(context), NULL, sealed + 32, key) == 0) {
      lictor_b64url_encode(sealed, 44 + (size_t)n, out);
      rc = out->oom ? -1 : 0;
    }
  }
  sodium_memzero(e, sizeof e);
  sodium_memzero(shared, sizeof shared);
  sodium_memzero(key, sizeof key);
  sodium_memzero(sealed, sizeof sealed);
  return rc;
}

long lictor_open_sealed(const uint8_t box_sk[32], const char *text, size_t len, const char *context, uint8_t *out,
                        size_t cap) {
  char info[128];
  if (seal_info(context, info) != 0 || len > 4096) return -1;
  uint8_t *bytes = malloc(len * 3 / 4 + 3);
  if (bytes == NULL) return -1;
  long n = lictor_b64url_decode(text, len, bytes, len * 3 / 4 + 3);
  long result = -1;
  uint8_t shared[32], key[32];
  if (n >= 32 + 12 + (long)crypto_aead_aes256gcm_ABYTES && (size_t)n - 44 - crypto_aead_aes256gcm_ABYTES <= cap &&
      crypto_scalarmult(shared, box_sk, bytes) == 0 && !sodium_is_zero(shared, sizeof shared)) {
    lictor_hkdf32(shared, sizeof shared, bytes, 32, info, key);
    result = lictor_aes256gcm_open(key, bytes + 32, bytes + 44, (size_t)n - 44, (const uint8_t *)context,
                                   strlen(context), out);
  }
  sodium_memzero(shared, sizeof shared);
  sodium_memzero(key, sizeof key);
  free(bytes);
  return result;
}
