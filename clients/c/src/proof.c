/*
 * Signed answers (packages/protocol/src/seat-proof.ts): every granting answer of the runtime
 * carries `proof: { license, key: "container", signature, signed }`. The answer is trusted when
 *   1. `license` opens with the vendor key (a license of another vendor, altered or made up fails);
 *   2. it covers the product (feature) asked and is not expired by the local clock;
 *   3. `signature` is the Ed25519 signature, by the license's container key (`containerKeys.sign`),
 *      of "lictor/v1/signed-answer" ‖ 0x00 ‖ `signed`;
 *   4. `signed` is `{ answer, container, nonce, purpose }` naming the nonce this client sent, an
 *      expected purpose and the license's container.
 * What the caller uses is `answer` from `signed`, never the unsigned rest of the message.
 * Refusals are LICTOR_E_ANSWER_UNPROVEN with the reason of seat-proof.ts (missing, malformed,
 * license, no-key, signature, not-covered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"
#include "internal.h"
#include "wire.h"

#define MAX_LICENSE_LENGTH (64 * 1024)

static int unproven(lictor_error *err, const char *reason, const char *fmt, const char *a, const char *b) {
  lictor_fail(err, LICTOR_ERR_UNPROVEN, "LICTOR_E_ANSWER_UNPROVEN", fmt, a == NULL ? "" : a, b == NULL ? "" : b);
  if (err != NULL) {
    size_t n = strlen(reason);
    if (n >= sizeof err->reason) n = sizeof err->reason - 1;
    memcpy(err->reason, reason, n);
    err->reason[n] = '\0';
  }
  return LICTOR_ERR_UNPROVEN;
}

static int base64url_text(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}

void lictor_verified_free(lictor_verified *v) {
  if (v == NULL) return;
  cJSON_Delete((cJSON *)v->statement);
  lictor_license_free(v->license);
  memset(v, 0, sizeof *v);
}

int lictor_verify_answer(const void *answer_json, const char *nonce, const char *const *purposes,
                         const lictor_vendor_key *key, const char *product, const char *feature, long long now_ms,
                         lictor_verified *out, lictor_error *err) {
  memset(out, 0, sizeof *out);
  const cJSON *proof = lictor_member((const cJSON *)answer_json, "proof");
  if (proof == NULL || cJSON_IsNull(proof)) {
    return unproven(err, "missing", "the answer carries no proof of a license%s%s", NULL, NULL);
  }
  const char *license = lictor_member_string(proof, "license");
  const char *signature = lictor_member_string(proof, "signature");
  const char *signed_text = lictor_member_string(proof, "signed");
  const char *key_kind = lictor_member_string(proof, "key");
  if (license == NULL || strlen(license) > MAX_LICENSE_LENGTH || key_kind == NULL ||
      strcmp(key_kind, "container") != 0 || signature == NULL || !base64url_text(signature, 128) ||
      signed_text == NULL) {
    return unproven(err, "malformed", "the proof sent with the answer is malformed%s%s", NULL, NULL);
  }

  /* 1. The license opens with the vendor key. */
  lictor_license *lic = NULL;
  lictor_error cause;
  if (lictor_license_open_key(license, strlen(license), key, &lic, &cause) != LICTOR_OK) {
    if (cause.status == LICTOR_ERR_INTERNAL) {
      if (err != NULL) *err = cause;
      return LICTOR_ERR_INTERNAL;
    }
    return unproven(err, "license", "the license sent as proof is not a genuine license of this vendor: %s [%s]",
                    cause.message, cause.code);
  }
  if (lic->container_sign_key == NULL) {
    unproven(err, "no-key",
             "the license sent as proof (serial %s) names no container key; it was activated before containers "
             "had keys: activate it again%s",
             lic->serial, NULL);
    lictor_license_free(lic);
    return LICTOR_ERR_UNPROVEN;
  }

  /* 3. The container key signed exactly `signed`. */
  uint8_t pk[36], sig[100];
  const char *sign_key = lic->container_sign_key;
  long pk_len = lictor_b64url_decode(sign_key, strlen(sign_key), pk, sizeof pk);
  long sig_len = lictor_b64url_decode(signature, strlen(signature), sig, sizeof sig);
  int valid = 0;
  if (pk_len == 32 && sig_len == 64) {
    lictor_buf bytes = {0};
    lictor_buf_put(&bytes, LICTOR_ANSWER_DOMAIN, sizeof LICTOR_ANSWER_DOMAIN); /* the label and its NUL */
    lictor_buf_puts(&bytes, signed_text);
    if (bytes.oom) {
      lictor_buf_free(&bytes);
      lictor_license_free(lic);
      return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
    }
    valid = lictor_ed25519_verify(pk, bytes.data, bytes.len, sig);
    lictor_buf_free(&bytes);
  }
  if (!valid) {
    unproven(err, "signature",
             "the answer is not signed by the key of the license it names (serial %s): a forged answer%s",
             lic->serial, NULL);
    lictor_license_free(lic);
    return LICTOR_ERR_UNPROVEN;
  }

  /* 4. What was signed: this request's nonce, an expected purpose, this license's container. */
  cJSON *statement = cJSON_ParseWithLength(signed_text, strlen(signed_text));
  const cJSON *answer = lictor_member(statement, "answer");
  const char *s_nonce = lictor_member_string(statement, "nonce");
  const char *s_purpose = lictor_member_string(statement, "purpose");
  const char *s_container = lictor_member_string(statement, "container");
  int rc = LICTOR_OK;
  if (!cJSON_IsObject(statement) || !cJSON_IsObject(answer) || s_nonce == NULL || s_purpose == NULL ||
      s_container == NULL) {
    rc = unproven(err, "malformed", "the signed statement of the answer is malformed%s%s", NULL, NULL);
  } else if (strcmp(s_nonce, nonce) != 0) {
    rc = unproven(err, "signature",
                  "the answer was signed for another request (serial %s): a replayed answer%s", lic->serial, NULL);
  } else if (strcmp(s_container, lic->container_id) != 0) {
    rc = unproven(err, "signature", "the answer was signed for container %s, not for the license sent with it (%s)",
                  s_container, lic->container_id);
  } else {
    int expected = 0;
    for (const char *const *p = purposes; *p != NULL && !expected; p++) expected = strcmp(*p, s_purpose) == 0;
    if (!expected) {
      rc = unproven(err, "signature", "the answer was signed as a '%s' answer, not as an answer to this request%s",
                    s_purpose, NULL);
    }
  }
  /* 2. The license covers what was asked, by the local clock. */
  if (rc == LICTOR_OK && !lictor_license_covers(lic, product, feature, now_ms)) {
    char what[320];
    if (feature == NULL) {
      snprintf(what, sizeof what, "product '%.128s'", product);
    } else {
      snprintf(what, sizeof what, "feature '%.128s' of product '%.128s'", feature, product);
    }
    rc = unproven(err, "not-covered", "the license sent as proof (serial %s) holds no unexpired license for %s",
                  lic->serial, what);
  }
  if (rc != LICTOR_OK) {
    cJSON_Delete(statement);
    lictor_license_free(lic);
    return rc;
  }
  out->statement = statement;
  out->answer = (void *)answer;
  out->license = lic;
  return LICTOR_OK;
}

void lictor_new_nonce(char out[44]) {
  uint8_t random[32];
  lictor_buf b = {0};
  lictor_random(random, sizeof random);
  lictor_b64url_encode(random, sizeof random, &b);
  memset(out, 0, 44);
  if (!b.oom && b.len == 43) memcpy(out, b.data, 43);
  lictor_buf_free(&b);
}

long long lictor_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
