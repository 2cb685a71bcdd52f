/*
 * Signed answers of the runtime (packages/protocol/src/runtime-answer.ts, verifyRuntimeAnswer:
 * the reference every client follows). A granting answer carries
 * `proof: { license, key: "container", signature, signed }`, and is trusted when
 *   1. a proof is there (an unsigned answer's `unproven` is named in the refusal) of that shape;
 *   2. `license` opens with the vendor key (another vendor's, altered or made up: refused) and
 *      names a container key;
 *   3. `signature` is the Ed25519 signature by that container key (`containerKeys.sign`) of
 *      "lictor/v1/signed-answer" ‖ 0x00 ‖ `signed`;
 *   4. `signed` is `{ answer, container, nonce, purpose }` naming this license's container, the
 *      nonce this client sent and the purpose expected;
 *   5. the signed answer is about the product (feature) asked, and the license holds an
 *      unexpired entry for them by the local clock;
 *   6. the answer's own fields are what was signed (a check or session: all of them; a seat: its
 *      lease id, product and feature are the signed lease's).
 * What the caller uses is the answer from `signed`. Refusals are LICTOR_E_ANSWER_UNPROVEN with
 * the reason: missing, malformed, license, no-key, signature, not-covered.
 *
 * Within an answer session (docs/spec/signed-answers.md, "Sessions with the runtime") the proof is
 * `{ key: "session", mac, signed }` instead: steps 2 and 3 become "the request named a session, the
 * purpose is not a seat's, and `mac` is HMAC-SHA256 under the session's secret of the same bytes"
 * (constant-time), and the license of steps 4 and 5 is the session's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cJSON.h"
#include "internal.h"
#include "wire.h"

#define MAX_LICENSE_LENGTH (64 * 1024)
#define MAX_SIGNED_STATEMENT_LENGTH (16 * 1024)
#define MAX_MAC_LENGTH 64

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

static int string_is(const cJSON *v, const char *s) {
  return cJSON_IsString(v) && v->valuestring != NULL && strcmp(v->valuestring, s) == 0;
}

/* Canonical JSON of `v` (NULL when it has none); `v` is kept. */
static char *canonical_of(const lj_value *v) {
  lictor_buf b = {0};
  if (v == NULL || lj_canonical(v, &b) != 0 || lictor_buf_finish(&b) != 0) {
    lictor_buf_free(&b);
    return NULL;
  }
  return b.data;
}

/*
 * Whether the answer as received, without `proof` and `unproven`, is the signed answer: both read
 * as JSON.parse reads them and compared in canonical JSON (values without one never match).
 */
static int same_answer(const char *body, size_t body_len, const char *signed_text) {
  lj_value *received = lj_parse(body, body_len);
  lj_value *statement = lj_parse(signed_text, strlen(signed_text));
  lj_value *fields = lj_new(LJ_OBJECT);
  int same = 0;
  if (received != NULL && received->type == LJ_OBJECT && statement != NULL && fields != NULL) {
    int ok = 1;
    for (size_t k = 0; k < received->count && ok; k++) {
      const char *key = received->keys[k];
      size_t len = received->key_lens[k];
      if ((len == 5 && memcmp(key, "proof", 5) == 0) || (len == 8 && memcmp(key, "unproven", 8) == 0)) continue;
      ok = lj_set_n(fields, key, len, lj_clone(received->items[k])) == 0;
    }
    char *a = ok ? canonical_of(fields) : NULL;
    char *b = canonical_of(lj_get(statement, "answer"));
    same = a != NULL && b != NULL && strcmp(a, b) == 0;
    free(a);
    free(b);
  }
  lj_free(fields);
  lj_free(received);
  lj_free(statement);
  return same;
}

/* The bytes a signature or a session MAC covers: the domain, its NUL, then `signed_text`. 0, or -1 (out of memory). */
static int answer_bytes(const char *signed_text, lictor_buf *out) {
  *out = (lictor_buf){0};
  lictor_buf_put(out, LICTOR_ANSWER_DOMAIN, sizeof LICTOR_ANSWER_DOMAIN);
  lictor_buf_puts(out, signed_text);
  if (!out->oom) return 0;
  lictor_buf_free(out);
  return -1;
}

void lictor_verified_free(lictor_verified *v) {
  if (v == NULL) return;
  cJSON_Delete((cJSON *)v->statement);
  if (!v->license_lent) lictor_license_free(v->license);
  memset(v, 0, sizeof *v);
}

static int verify_statement(const char *body, size_t body_len, const cJSON *received, const char *signed_text,
                            const char *nonce, const char *purpose, const lictor_license *lic, const char *product,
                            const char *feature, long long now_ms, lictor_verified *out, lictor_error *err);
static int verify_mac(const char *body, size_t body_len, const cJSON *received, const cJSON *proof, const char *nonce,
                      const char *purpose, const lictor_answer_session *session, const char *product,
                      const char *feature, long long now_ms, lictor_verified *out, lictor_error *err);

int lictor_verify_answer(const char *body, size_t body_len, const void *answer_json, const char *nonce,
                         const char *purpose, const lictor_vendor_key *key, const lictor_answer_session *session,
                         const char *product, const char *feature, long long now_ms, lictor_verified *out,
                         lictor_error *err) {
  memset(out, 0, sizeof *out);
  const cJSON *received = answer_json;
  if (!cJSON_IsObject(received)) {
    return unproven(err, "malformed", "the runtime's answer is not a JSON object%s%s", NULL, NULL);
  }
  /* 1. A proof, of the right shape. */
  const cJSON *proof = lictor_member(received, "proof");
  if (proof == NULL || cJSON_IsNull(proof)) {
    const char *why = lictor_member_string(lictor_member(received, "unproven"), "message");
    return unproven(err, "missing", "the runtime's answer carries no proof of a license%s%s", why == NULL ? "" : ": ",
                    why);
  }
  if (string_is(lictor_member(proof, "key"), "session")) {
    return verify_mac(body, body_len, received, proof, nonce, purpose, session, product, feature, now_ms, out, err);
  }
  const char *license = lictor_member_string(proof, "license");
  const char *signature = lictor_member_string(proof, "signature");
  const char *signed_text = lictor_member_string(proof, "signed");
  if (license == NULL || lictor_utf16_length(license, strlen(license)) > MAX_LICENSE_LENGTH ||
      !string_is(lictor_member(proof, "key"), "container") || signature == NULL || !base64url_text(signature, 128) ||
      signed_text == NULL || lictor_utf16_length(signed_text, strlen(signed_text)) > MAX_SIGNED_STATEMENT_LENGTH) {
    return unproven(err, "malformed", "the proof of the runtime's answer is malformed%s%s", NULL, NULL);
  }

  /* 2. The license opens with the vendor key and names a container key. */
  lictor_license *lic = NULL;
  int rc = LICTOR_OK;
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
    rc = unproven(err, "no-key",
                  "the license sent as proof (serial %s) names no container key; it was activated before containers "
                  "had keys: activate it again%s",
                  lic->serial, NULL);
    goto done;
  }

  /* 3. Its container key signed exactly `signed`. */
  uint8_t pk[36], sig[100];
  long pk_len = lictor_b64url_decode(lic->container_sign_key, strlen(lic->container_sign_key), pk, sizeof pk);
  long sig_len = lictor_b64url_decode(signature, strlen(signature), sig, sizeof sig);
  int valid = 0;
  if (pk_len == 32 && sig_len == 64) {
    lictor_buf bytes;
    if (answer_bytes(signed_text, &bytes) != 0) {
      rc = lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
      goto done;
    }
    valid = lictor_ed25519_verify(pk, bytes.data, bytes.len, sig);
    lictor_buf_free(&bytes);
  }
  if (!valid) {
    rc = unproven(err, "signature",
                  "the runtime's answer is not signed by the key of the license it names (serial %s): a forged "
                  "answer%s",
                  lic->serial, NULL);
    goto done;
  }

  rc = verify_statement(body, body_len, received, signed_text, nonce, purpose, lic, product, feature, now_ms, out, err);
  if (rc == LICTOR_OK) return LICTOR_OK;
done:
  lictor_license_free(lic);
  return rc;
}

/*
 * Steps 4 to 6 for the license that proved `signed_text` (the signer's, or the session's); on
 * success fills `out` (its license `lic`, which the caller hands over or lends).
 */
static int verify_statement(const char *body, size_t body_len, const cJSON *received, const char *signed_text,
                            const char *nonce, const char *purpose, const lictor_license *lic, const char *product,
                            const char *feature, long long now_ms, lictor_verified *out, lictor_error *err) {
  int rc = LICTOR_OK;
  /* 4. The statement names this license's container, this request's nonce and the purpose expected. */
  cJSON *statement = cJSON_ParseWithLength(signed_text, strlen(signed_text));
  const cJSON *answer = lictor_member(statement, "answer");
  if (!cJSON_IsObject(statement) || answer == NULL) {
    rc = unproven(err, "malformed", "the signed statement is not an answer%s%s", NULL, NULL);
    goto done;
  }
  if (!string_is(lictor_member(statement, "container"), lic->container_id) ||
      !string_is(lictor_member(statement, "nonce"), nonce) || !string_is(lictor_member(statement, "purpose"), purpose)) {
    rc = unproven(err, "signature",
                  "the signed statement is not for this request (its nonce, purpose or container differ: expected "
                  "purpose '%s'): a replayed answer%s",
                  purpose, NULL);
    goto done;
  }

  /* 5. It grants what was asked, and the license covers it by the local clock. */
  char what[320];
  if (feature == NULL) {
    snprintf(what, sizeof what, "product '%.128s'", product);
  } else {
    snprintf(what, sizeof what, "feature '%.128s' of product '%.128s'", feature, product);
  }
  int lease = strcmp(purpose, "lease") == 0;
  const cJSON *grant = lease ? lictor_member(answer, "lease") : answer;
  const cJSON *granted_feature = lictor_member(grant, "feature");
  int same_feature = feature == NULL ? (granted_feature == NULL || cJSON_IsNull(granted_feature))
                                     : string_is(granted_feature, feature);
  if (!string_is(lictor_member(grant, "product"), product) || !same_feature) {
    rc = unproven(err, "not-covered", "the signed answer is not about %s%s", what, NULL);
    goto done;
  }
  if (!lictor_license_covers(lic, product, feature, now_ms)) {
    rc = unproven(err, "not-covered", "the license sent as proof (serial %s) holds no unexpired license for %s",
                  lic->serial, what);
    goto done;
  }

  /* 6. The answer's own fields are what was signed. */
  int same;
  if (lease) {
    const cJSON *f = lictor_member(received, "feature");
    const cJSON *lease_id = lictor_member(grant, "id");
    same = cJSON_IsString(lease_id) && string_is(lictor_member(received, "leaseId"), lease_id->valuestring) &&
           string_is(lictor_member(received, "product"), product) &&
           (feature == NULL ? (f == NULL || cJSON_IsNull(f)) : string_is(f, feature));
  } else {
    same = same_answer(body, body_len, signed_text);
  }
  if (!same) {
    rc = unproven(err, "signature", "the runtime's answer differs from the answer it signed%s%s", NULL, NULL);
    goto done;
  }
  out->statement = statement;
  out->answer = (void *)answer;
  out->license = (lictor_license *)lic;
  return LICTOR_OK;
done:
  cJSON_Delete(statement);
  return rc;
}

/* Steps 1 to 3 for a proof `{ key: "session", mac, signed }`, then steps 4 to 6 with the session's license. */
static int verify_mac(const char *body, size_t body_len, const cJSON *received, const cJSON *proof, const char *nonce,
                      const char *purpose, const lictor_answer_session *session, const char *product,
                      const char *feature, long long now_ms, lictor_verified *out, lictor_error *err) {
  const char *mac = lictor_member_string(proof, "mac");
  const char *signed_text = lictor_member_string(proof, "signed");
  if (mac == NULL || !base64url_text(mac, MAX_MAC_LENGTH) || signed_text == NULL ||
      lictor_utf16_length(signed_text, strlen(signed_text)) > MAX_SIGNED_STATEMENT_LENGTH) {
    return unproven(err, "malformed", "the proof of the runtime's answer is malformed%s%s", NULL, NULL);
  }
  if (strcmp(purpose, "lease") == 0) {
    return unproven(err, "signature", "a seat's answer is MAC'd: only the License Manager's signature proves a seat%s%s",
                    NULL, NULL);
  }
  if (session == NULL) {
    return unproven(err, "signature",
                    "the runtime's answer is MAC'd under a session this request did not name: a forged answer%s%s", NULL,
                    NULL);
  }
  uint8_t received_mac[MAX_MAC_LENGTH], expected[32];
  long n = lictor_b64url_decode(mac, strlen(mac), received_mac, sizeof received_mac);
  lictor_buf bytes;
  if (answer_bytes(signed_text, &bytes) != 0) {
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  }
  lictor_hmac_sha256(session->secret, 32, bytes.data, bytes.len, expected);
  lictor_buf_free(&bytes);
  int valid = n == 32 && sodium_memcmp(received_mac, expected, 32) == 0;
  sodium_memzero(expected, sizeof expected);
  if (!valid) {
    return unproven(err, "signature",
                    "the runtime's answer is not MAC'd under this client's session with license %s: a forged answer%s",
                    session->license->serial, NULL);
  }
  int rc = verify_statement(body, body_len, received, signed_text, nonce, purpose, session->license, product, feature,
                            now_ms, out, err);
  if (rc == LICTOR_OK) {
    out->session_mac = 1;
    out->license_lent = 1;
  }
  return rc;
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

long long lictor_fixed_now_ms = 0;

long long lictor_now_ms(void) {
  if (lictor_fixed_now_ms != 0) return lictor_fixed_now_ms;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
