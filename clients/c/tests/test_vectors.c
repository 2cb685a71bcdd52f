/*
 * The specification's test vectors (spec/vectors/): vendor keys, canonical JSON, hardware
 * normalization and license files, every intermediate step and every negative case with its code.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "support.h"

static char *canonical_of(const lj_value *v) {
  lictor_buf b = {0};
  if (lj_canonical(v, &b) != 0) {
    lictor_buf_free(&b);
    return NULL;
  }
  lictor_buf_finish(&b);
  return b.data;
}

static void vendor_keys(void) {
  lj_value *v = load_vectors("vendor-key");
  const lj_value *keys = lj_get(v, "keys");
  CHECK(keys != NULL && keys->count == 2, "two vendor keys");
  for (size_t k = 0; keys != NULL && k < keys->count; k++) {
    const lj_value *key = keys->items[k];
    const char *text = vstr(key, "text");
    lictor_vendor_key parsed;
    lictor_error err;
    CHECK(lictor_vendor_key_parse(text, strlen(text), &parsed, &err) == LICTOR_OK, "parse %s", text);
    char *raw = hex_of(parsed.raw, 32), *id = hex_of(parsed.key_id, 8);
    CHECK_STR(raw, vstr(key, "publicKeyHex"), "raw key");
    CHECK_STR(id, vstr(key, "keyIdHex"), "key id");
    free(raw);
    free(id);
    uint8_t seed[32], pk[32], sk[64];
    CHECK(hex_decode(vstr(key, "seedHex"), seed, 32) == 32, "seed");
    crypto_sign_seed_keypair(pk, sk, seed);
    CHECK(memcmp(pk, parsed.raw, 32) == 0, "the seed gives the public key");
    const lj_value *sig = lj_get(key, "signature");
    uint8_t msg[256], signature[64];
    long n = hex_decode(vstr(sig, "messageHex"), msg, sizeof msg);
    CHECK(n > 0 && hex_decode(vstr(sig, "signatureHex"), signature, 64) == 64, "signature vector");
    CHECK(lictor_ed25519_verify(parsed.raw, msg, (size_t)n, signature), "the signature verifies");
    signature[10] ^= 1;
    CHECK(!lictor_ed25519_verify(parsed.raw, msg, (size_t)n, signature), "an altered signature does not");
    /* White space around the key is trimmed, as JavaScript's trim() does (U+00A0, U+FEFF included). */
    char padded[128];
    snprintf(padded, sizeof padded, " \t\xC2\xA0%s\xEF\xBB\xBF\n", text);
    CHECK(lictor_vendor_key_parse(padded, strlen(padded), &parsed, &err) == LICTOR_OK, "trimmed key");
  }
  const lj_value *negative = lj_get(v, "negative");
  for (size_t k = 0; negative != NULL && k < negative->count; k++) {
    const lj_value *c = negative->items[k];
    lictor_vendor_key parsed;
    lictor_error err;
    const char *text = vstr(c, "text");
    int rc = lictor_vendor_key_parse(text, strlen(text), &parsed, &err);
    CHECK(rc == LICTOR_ERR_INVALID && strcmp(err.code, vstr(c, "error")) == 0, "negative key '%s': %s",
          vstr(c, "name"), err.code);
  }
  lj_free(v);
}

static void canonical_json(void) {
  lj_value *v = load_vectors("canonical-json");
  const lj_value *cases = lj_get(v, "cases");
  CHECK(cases != NULL && cases->count >= 5, "canonical cases");
  for (size_t k = 0; cases != NULL && k < cases->count; k++) {
    const lj_value *c = cases->items[k], *input = lj_get(c, "input");
    lj_value *parsed = lj_parse(input->str, input->len);
    CHECK(parsed != NULL, "parse input of '%s'", vstr(c, "name"));
    lictor_buf out = {0};
    CHECK(parsed != NULL && lj_canonical(parsed, &out) == 0, "canonical of '%s'", vstr(c, "name"));
    const lj_value *want = lj_get(c, "canonical");
    CHECK(out.len == want->len && memcmp(out.data, want->str, out.len) == 0, "canonical text of '%s'",
          vstr(c, "name"));
    char *hex = hex_of(out.data, out.len);
    CHECK_STR(hex, vstr(c, "utf8Hex"), vstr(c, "name"));
    free(hex);
    lictor_buf_free(&out);
    lj_free(parsed);
  }
  const lj_value *negative = lj_get(v, "negative");
  for (size_t k = 0; negative != NULL && k < negative->count; k++) {
    const lj_value *c = negative->items[k], *input = lj_get(c, "input");
    CHECK(strcmp(vstr(c, "error"), "not-canonical") == 0, "negative kind");
    lj_value *parsed = lj_parse(input->str, input->len);
    lictor_buf out = {0};
    CHECK(parsed != NULL && lj_canonical(parsed, &out) != 0, "'%s' has no canonical form", vstr(c, "name"));
    lictor_buf_free(&out);
    lj_free(parsed);
  }
  lj_free(v);
}

static void hardware(void) {
  lj_value *v = load_vectors("hardware");
  const lj_value *cases = lj_get(v, "cases");
  CHECK(cases != NULL && cases->count >= 3, "hardware cases");
  for (size_t k = 0; cases != NULL && k < cases->count; k++) {
    const lj_value *c = cases->items[k];
    lj_value *norm = lictor_normalize_hardware(lj_get(c, "hardware"));
    char *got = canonical_of(norm), *want = canonical_of(lj_get(c, "normalized"));
    CHECK_STR(got, want, vstr(c, "name"));
    free(got);
    free(want);
    lj_free(norm);
  }
  lj_free(v);
}

static void license_cases(const lj_value *v, const lictor_vendor_key *key, const uint8_t seed[32],
                          const char *public_key) {
  const lj_value *cases = lj_get(v, "cases");
  CHECK(cases != NULL && cases->count >= 4, "license cases");
  for (size_t k = 0; cases != NULL && k < cases->count; k++) {
    const lj_value *c = cases->items[k], *in = lj_get(c, "input"), *out = lj_get(c, "output");
    const char *name = vstr(c, "name");
    const lj_value *document = lj_get(in, "document");
    lj_value *doc = NULL;
    lictor_error err;
    CHECK(lictor_license_check_document(document, &doc, &err) == LICTOR_OK, "%s: document checks: %s", name,
          err.message);
    if (doc == NULL) continue;
    char *payload = canonical_of(doc);
    CHECK_STR(payload, vstr(out, "payload"), "payload");
    free(payload);
    int format = (int)lj_get(out, "subjectFormat")->number;
    lictor_license_steps steps;
    CHECK(lictor_license_steps_compute(doc, format, key, &steps) == 0, "%s: steps", name);
    if (format == 2) {
      CHECK_STR(steps.subject_private_json, vstr(out, "subjectPrivateJson"), "subjectPrivateJson");
      CHECK_STR(steps.subject_private, vstr(out, "subjectPrivate"), "subjectPrivate");
    }
    CHECK_STR(steps.subject_json, vstr(out, "subjectJson"), "subjectJson");
    CHECK_STR(steps.subject, vstr(out, "subject"), "subject");
    CHECK_STR(steps.signed_view, vstr(out, "signedView"), "signedView");
    char *bytes = hex_of(steps.signing_bytes.data, steps.signing_bytes.len);
    CHECK_STR(bytes, vstr(out, "signingBytesHex"), "signingBytesHex");
    free(bytes);
    /* Ed25519 is deterministic: the vendor seed gives the vector's signature. */
    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_detached(sig, NULL, (const uint8_t *)steps.signing_bytes.data, steps.signing_bytes.len, sk);
    char *sig_hex = hex_of(sig, 64);
    CHECK_STR(sig_hex, vstr(out, "signatureHex"), "signatureHex");
    free(sig_hex);
    lictor_license_steps_free(&steps);
    /* The envelope: the HKDF key and the header of the vector's file. */
    const lj_value *text = lj_get(out, "text");
    uint8_t aes[32], header[42];
    CHECK(lictor_envelope_key(text->str, text->len, key, aes, header) == 0, "%s: envelope", name);
    char *aes_hex = hex_of(aes, 32), *header_hex = hex_of(header, 42);
    CHECK_STR(aes_hex, vstr(out, "aesKeyHex"), "aesKeyHex");
    CHECK_STR(header_hex, vstr(out, "headerHex"), "headerHex");
    free(aes_hex);
    free(header_hex);
    /* Sealing with the vector's salt and iv writes the vector's file byte for byte (format 2 files only:
       the format 1 file with container keys was signed over the other digest). */
    uint8_t salt[16], iv[12];
    hex_decode(vstr(in, "saltHex"), salt, 16);
    hex_decode(vstr(in, "ivHex"), iv, 12);
    if (format == 2 || lj_get(doc, "containerKeys") == NULL) {
      char *sealed = seal_license_with(doc, seed, salt, iv);
      CHECK_STR(sealed, text->str, "sealed text");
      free(sealed);
    }
    /* And the file opens, with the format that verified. */
    lictor_license *lic = NULL;
    CHECK(lictor_license_open(text->str, text->len, public_key, &lic, &err) == LICTOR_OK, "%s: opens: %s", name,
          err.message);
    if (lic != NULL) {
      CHECK(lic->subject_format == format, "%s: subject format %d", name, lic->subject_format);
      char *want = canonical_of(document);
      CHECK_STR(lic->document_json, want, "document");
      free(want);
      CHECK_STR(lic->serial, vstr(document, "serial"), "serial");
      CHECK_STR(lic->container_id, vstr(document, "containerId"), "containerId");
      CHECK(lic->entry_count == lj_get(document, "licenses")->count, "entries");
    }
    lictor_license_free(lic);
    lj_free(doc);
  }
}

static void license_files(void) {
  lj_value *v = load_vectors("license-file");
  const char *public_key = vstr(lj_get(v, "vendorKey"), "publicKey");
  lictor_vendor_key key;
  lictor_error err;
  uint8_t seed[32];
  CHECK(lictor_vendor_key_parse(public_key, strlen(public_key), &key, &err) == LICTOR_OK, "vendor key");
  CHECK(hex_decode(vstr(lj_get(v, "vendorKey"), "seedHex"), seed, 32) == 32, "vendor seed");
  license_cases(v, &key, seed, public_key);

  const lj_value *tolerant = lj_get(v, "tolerant");
  CHECK(tolerant != NULL && tolerant->count >= 2, "tolerant cases");
  for (size_t k = 0; tolerant != NULL && k < tolerant->count; k++) {
    const lj_value *c = tolerant->items[k], *text = lj_get(c, "text");
    lictor_license *lic = NULL;
    CHECK(lictor_license_open(text->str, text->len, public_key, &lic, &err) == LICTOR_OK, "tolerant '%s': %s",
          vstr(c, "name"), err.message);
    char *want = canonical_of(lj_get(c, "document"));
    if (lic != NULL) CHECK_STR(lic->document_json, want, vstr(c, "name"));
    free(want);
    lictor_license_free(lic);
  }

  const lj_value *negative = lj_get(v, "negative");
  CHECK(negative != NULL && negative->count >= 13, "negative cases");
  for (size_t k = 0; negative != NULL && k < negative->count; k++) {
    const lj_value *c = negative->items[k], *text = lj_get(c, "text");
    lictor_license *lic = NULL;
    int rc = lictor_license_open(text->str, text->len, vstr(c, "publicKey"), &lic, &err);
    CHECK(rc == LICTOR_ERR_LICENSE && lic == NULL && strcmp(err.code, vstr(c, "error")) == 0,
          "negative '%s': got %s (%s), want %s", vstr(c, "name"), err.code, err.message, vstr(c, "error"));
  }

  /* What a license covers, by the clock given. */
  const lj_value *first = lj_get(lj_get(lj_get(v, "cases")->items[0], "output"), "text");
  lictor_license *lic = NULL;
  lictor_license_open(first->str, first->len, public_key, &lic, &err);
  CHECK(lic != NULL, "the first case opens");
  if (lic != NULL) {
    long long before = 1795341600000LL - 1; /* 2026-11-22T10:00:00Z - 1 ms; expires 2027-11-22T10:00:00Z */
    long long expiry = 1826877600000LL;
    CHECK(lictor_license_covers(lic, "MINER", NULL, before), "product covered");
    CHECK(lictor_license_covers(lic, "MINER", "reports", before), "feature covered");
    CHECK(lictor_license_covers(lic, "MINER", "etl", expiry - 1), "covered until its expiry");
    CHECK(!lictor_license_covers(lic, "MINER", "etl", expiry), "expired at its expiry");
    CHECK(!lictor_license_covers(lic, "MINER", "nope", before), "unknown feature not covered");
    CHECK(!lictor_license_covers(lic, "miner", NULL, before), "products are case-sensitive");
    CHECK(!lictor_license_covers(lic, "OTHER", NULL, before), "another product not covered");
  }
  lictor_license_free(lic);
  lj_free(v);
}

/*
 * The runtime's answer `response` verified as the client does (the vector's request, key and clock),
 * within `session` when not NULL.
 */
static int verify_in(const lj_value *c, const lictor_vendor_key *key, const lictor_answer_session *session,
                     lictor_verified *v, lictor_error *err) {
  char *body = canonical_of(lj_get(c, "response"));
  cJSON *json = cJSON_Parse(body);
  const lj_value *feature = lj_get(c, "feature");
  const char *feature_text = lj_is_string(feature) ? feature->str : NULL;
  long long now = (long long)lj_get(c, "nowMs")->number;
  int rc = lictor_verify_answer(body, strlen(body), json, vstr(c, "nonce"), vstr(c, "purpose"), key, session,
                                vstr(c, "product"), feature_text, now, v, err);
  cJSON_Delete(json);
  free(body);
  return rc;
}

static int verify_vector(const lj_value *c, const lictor_vendor_key *key, lictor_verified *v, lictor_error *err) {
  return verify_in(c, key, NULL, v, err);
}

/*
 * The answer session of the vectors: the secret sealed to the license's box key (fixed ephemeral
 * scalar and iv) gives the vectors' sealed text, id and header, and opens with the container's
 * scalar; the runtime's MAC'd answers within it are accepted, the negative ones refused.
 */
static void runtime_sessions(const lj_value *v, const lictor_vendor_key *key) {
  const lj_value *session = lj_get(v, "session"), *rs = lj_get(v, "runtimeSession");
  const char *text = vstr(lj_get(v, "license"), "text");
  lictor_license *lic = NULL;
  lictor_error err;
  CHECK(lictor_license_open_key(text, strlen(text), key, &lic, &err) == LICTOR_OK, "the session's license: %s",
        err.message);
  if (lic == NULL) return;
  CHECK_STR(vstr(session, "context"), LICTOR_SESSION_CONTEXT, "session context");
  uint8_t secret[32], ephemeral[32], iv[12], box[36], scalar[32];
  hex_decode(vstr(session, "secretHex"), secret, 32);
  hex_decode(vstr(session, "ephemeralScalarHex"), ephemeral, 32);
  hex_decode(vstr(session, "ivHex"), iv, 12);
  hex_decode(vstr(lj_get(v, "container"), "boxScalarHex"), scalar, 32);
  CHECK(lictor_b64url_decode(lic->container_box_key, strlen(lic->container_box_key), box, sizeof box) == 32,
        "the license's box key");
  lictor_buf sealed = {0};
  CHECK(lictor_seal_to_container(box, secret, 32, LICTOR_SESSION_CONTEXT, ephemeral, iv, &sealed) == 0, "sealed");
  lictor_buf_finish(&sealed);
  CHECK_STR(sealed.data, vstr(session, "sealed"), "the sealed secret");
  uint8_t opened[64];
  CHECK(lictor_open_sealed(scalar, sealed.data, sealed.len, LICTOR_SESSION_CONTEXT, opened, sizeof opened) == 32 &&
            memcmp(opened, secret, 32) == 0,
        "the container's scalar opens it");
  CHECK(lictor_open_sealed(scalar, sealed.data, sealed.len, "upgrade-confirm", opened, sizeof opened) == -1,
        "not under another context");
  uint8_t digest[32];
  lictor_sha256(sealed.data, sealed.len, digest);
  lictor_buf id = {0};
  lictor_b64url_encode(digest, 16, &id);
  lictor_buf_finish(&id);
  CHECK_STR(id.data, vstr(session, "id"), "the session id");
  CHECK_STR(vstr(rs, "header"), vstr(session, "header"), "the header");
  lictor_buf_free(&id);
  lictor_buf_free(&sealed);
  /* A fresh ephemeral key and iv each time: another text, the same secret inside. */
  lictor_buf a = {0}, b = {0};
  CHECK(lictor_seal_to_container(box, secret, 32, LICTOR_SESSION_CONTEXT, NULL, NULL, &a) == 0 &&
            lictor_seal_to_container(box, secret, 32, LICTOR_SESSION_CONTEXT, NULL, NULL, &b) == 0,
        "sealed with random keys");
  lictor_buf_finish(&a);
  lictor_buf_finish(&b);
  CHECK(a.len == 123 && strcmp(a.data, b.data) != 0, "123 characters, fresh each time: %zu", a.len);
  CHECK(lictor_open_sealed(scalar, a.data, a.len, LICTOR_SESSION_CONTEXT, opened, sizeof opened) == 32 &&
            memcmp(opened, secret, 32) == 0,
        "a random sealing opens");
  lictor_buf_free(&a);
  lictor_buf_free(&b);
  /* A low-order box key (all zero): no shared secret, nothing sealed. */
  static const uint8_t zero[32];
  lictor_buf z = {0};
  CHECK(lictor_seal_to_container(zero, secret, 32, LICTOR_SESSION_CONTEXT, NULL, NULL, &z) == -1,
        "a low-order key is refused");
  lictor_buf_free(&z);

  uint8_t rs_secret[32];
  hex_decode(vstr(rs, "secretHex"), rs_secret, 32);
  lictor_answer_session within = {rs_secret, lic};
  const lj_value *accepted = lj_get(rs, "accepted");
  CHECK(accepted != NULL && accepted->count >= 2, "runtimeSession accepted cases");
  for (size_t k = 0; accepted != NULL && k < accepted->count; k++) {
    const lj_value *c = accepted->items[k];
    uint8_t mac[32];
    const lj_value *input = lj_get(c, "macInput");
    lictor_hmac_sha256(rs_secret, 32, input->str, input->len, mac);
    char *mac_hex = hex_of(mac, 32);
    CHECK_STR(mac_hex, vstr(c, "macHex"), "runtime session MAC");
    free(mac_hex);
    lictor_verified verified;
    int rc = verify_in(c, key, &within, &verified, &err);
    CHECK(rc == LICTOR_OK, "runtimeSession accepted '%s': %s [%s] %s", vstr(c, "name"), err.code, err.reason,
          err.message);
    if (rc != LICTOR_OK) continue;
    CHECK(verified.session_mac && verified.license == lic, "MAC'd, proven by the session's license");
    char *got = cJSON_PrintUnformatted((cJSON *)verified.answer);
    lj_value *parsed = json_of(got);
    char *canonical = canonical_of(parsed), *want = canonical_of(lj_get(c, "answer"));
    CHECK_STR(canonical, want, "the MAC'd answer taken");
    free(canonical);
    free(want);
    lj_free(parsed);
    cJSON_free(got);
    lictor_verified_free(&verified);
    /* Without the session named, the same answer is refused. */
    rc = verify_in(c, key, NULL, &verified, &err);
    CHECK(rc == LICTOR_ERR_UNPROVEN && strcmp(err.reason, "signature") == 0, "'%s' without the session: %s",
          vstr(c, "name"), err.reason);
  }
  const lj_value *negative = lj_get(rs, "negative");
  CHECK(negative != NULL && negative->count >= 9, "runtimeSession negative cases");
  for (size_t k = 0; negative != NULL && k < negative->count; k++) {
    const lj_value *c = negative->items[k];
    int named = lj_get(c, "sessionNamed")->type == LJ_TRUE;
    lictor_verified verified;
    int rc = verify_in(c, key, named ? &within : NULL, &verified, &err);
    CHECK(rc == LICTOR_ERR_UNPROVEN && strcmp(err.code, vstr(c, "error")) == 0 &&
              strcmp(err.reason, vstr(c, "reason")) == 0,
          "runtimeSession negative '%s': got %s [%s] %s, want %s", vstr(c, "name"), err.code, err.reason, err.message,
          vstr(c, "reason"));
    if (rc == LICTOR_OK) lictor_verified_free(&verified);
  }
  /* The signed answers stay accepted when the request named a session (a runtime that lost it). */
  const lj_value *signed_cases = lj_get(v, "accepted");
  for (size_t k = 0; signed_cases != NULL && k < signed_cases->count; k++) {
    lictor_verified verified;
    int rc = verify_in(signed_cases->items[k], key, &within, &verified, &err);
    CHECK(rc == LICTOR_OK && !verified.session_mac, "signed '%s' within a session: %s", vstr(signed_cases->items[k], "name"),
          err.message);
    if (rc == LICTOR_OK) lictor_verified_free(&verified);
  }
  lictor_license_free(lic);
}

static void signed_answers(void) {
  lj_value *v = load_vectors("signed-answer");
  lictor_vendor_key key;
  lictor_error err;
  const char *public_key = vstr(lj_get(v, "vendorKey"), "publicKey");
  CHECK(lictor_vendor_key_parse(public_key, strlen(public_key), &key, &err) == LICTOR_OK, "vendor key");
  CHECK_STR(vstr(v, "domain"), LICTOR_ANSWER_DOMAIN, "domain");

  /* Each purpose's statement, signed bytes and signature (by the container's seed). */
  uint8_t seed[32], pk[32], sk[64];
  hex_decode(vstr(lj_get(v, "container"), "signSeedHex"), seed, 32);
  crypto_sign_seed_keypair(pk, sk, seed);
  char *pk_text = NULL;
  {
    lictor_buf b = {0};
    lictor_b64url_encode(pk, 32, &b);
    lictor_buf_finish(&b);
    pk_text = b.data;
  }
  CHECK_STR(pk_text, vstr(lj_get(lj_get(v, "container"), "public"), "sign"), "container public key");
  free(pk_text);
  const lj_value *sigs = lj_get(v, "signatures");
  CHECK(sigs != NULL && sigs->count >= 4, "signature cases");
  for (size_t k = 0; sigs != NULL && k < sigs->count; k++) {
    const lj_value *c = sigs->items[k], *in = lj_get(c, "input"), *out = lj_get(c, "output");
    lj_value *statement = lj_new(LJ_OBJECT);
    lj_set(statement, "answer", lj_clone(lj_get(in, "answer")));
    lj_set(statement, "container", lj_clone(lj_get(in, "container")));
    lj_set(statement, "nonce", lj_clone(lj_get(in, "nonce")));
    lj_set(statement, "purpose", lj_clone(lj_get(in, "purpose")));
    char *text = canonical_of(statement);
    lj_free(statement);
    CHECK_STR(text, vstr(out, "statement"), vstr(c, "name"));
    lictor_buf bytes = {0};
    lictor_buf_put(&bytes, LICTOR_ANSWER_DOMAIN, sizeof LICTOR_ANSWER_DOMAIN);
    lictor_buf_puts(&bytes, text == NULL ? "" : text);
    char *hex = hex_of(bytes.data, bytes.len);
    CHECK_STR(hex, vstr(out, "signingBytesHex"), "signing bytes");
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, (const uint8_t *)bytes.data, bytes.len, sk);
    char *sig_hex = hex_of(sig, 64);
    CHECK_STR(sig_hex, vstr(out, "signatureHex"), "signature");
    CHECK(lictor_ed25519_verify(pk, bytes.data, bytes.len, sig), "the signature verifies");
    free(sig_hex);
    free(hex);
    free(text);
    lictor_buf_free(&bytes);
  }

  const lj_value *accepted = lj_get(v, "accepted");
  CHECK(accepted != NULL && accepted->count >= 5, "accepted cases");
  for (size_t k = 0; accepted != NULL && k < accepted->count; k++) {
    const lj_value *c = accepted->items[k];
    lictor_verified verified;
    int rc = verify_vector(c, &key, &verified, &err);
    CHECK(rc == LICTOR_OK, "accepted '%s': %s [%s] %s", vstr(c, "name"), err.code, err.reason, err.message);
    if (rc != LICTOR_OK) continue;
    char *got = cJSON_PrintUnformatted((cJSON *)verified.answer);
    lj_value *parsed = json_of(got);
    char *canonical = canonical_of(parsed), *want = canonical_of(lj_get(c, "answer"));
    CHECK_STR(canonical, want, "the signed answer taken");
    CHECK_STR(verified.license->container_id, vstr(lj_get(v, "license"), "containerId"), "the proving license");
    free(canonical);
    free(want);
    lj_free(parsed);
    cJSON_free(got);
    lictor_verified_free(&verified);
  }

  const lj_value *negative = lj_get(v, "negative");
  CHECK(negative != NULL && negative->count >= 17, "negative cases");
  for (size_t k = 0; negative != NULL && k < negative->count; k++) {
    const lj_value *c = negative->items[k];
    lictor_verified verified;
    int rc = verify_vector(c, &key, &verified, &err);
    CHECK(rc == LICTOR_ERR_UNPROVEN && strcmp(err.code, vstr(c, "error")) == 0 &&
              strcmp(err.reason, vstr(c, "reason")) == 0,
          "negative '%s': got %s [%s] %s, want %s", vstr(c, "name"), err.code, err.reason, err.message,
          vstr(c, "reason"));
    if (rc == LICTOR_OK) lictor_verified_free(&verified);
  }

  /* A session's MAC: HMAC-SHA256 under the secret over the same signed bytes. */
  const lj_value *session = lj_get(v, "session"), *mac = lj_get(session, "mac");
  uint8_t secret[32], out[32];
  hex_decode(vstr(session, "secretHex"), secret, 32);
  const lj_value *input = lj_get(mac, "macInput");
  lictor_hmac_sha256(secret, 32, input->str, input->len, out);
  char *mac_hex = hex_of(out, 32);
  CHECK_STR(mac_hex, vstr(mac, "macHex"), "session MAC");
  free(mac_hex);

  runtime_sessions(v, &key);

  /* Nonces: canonical base64url of 16 to 64 bytes (what the client draws is 32). */
  const lj_value *nonces = lj_get(v, "nonces");
  for (size_t k = 0; nonces != NULL && k < nonces->count; k++) {
    const lj_value *c = nonces->items[k], *n = lj_get(c, "nonce");
    uint8_t bytes[128];
    long len = lictor_b64url_decode(n->str, n->len, bytes, sizeof bytes);
    int valid = len >= 16 && len <= 64;
    CHECK(valid == (lj_get(c, "valid")->type == LJ_TRUE), "nonce '%s'", vstr(c, "name"));
  }
  char nonce[44];
  lictor_new_nonce(nonce);
  uint8_t drawn[64];
  CHECK(strlen(nonce) == 43 && lictor_b64url_decode(nonce, 43, drawn, sizeof drawn) == 32, "a drawn nonce: %s", nonce);
  lj_free(v);
}

int main(void) {
  lictor_error err;
  if (lictor_crypto_ready(&err) != LICTOR_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  vendor_keys();
  canonical_json();
  hardware();
  license_files();
  signed_answers();
  return test_report("test_vectors");
}
