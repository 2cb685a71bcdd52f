/*
 * Malformed input never crashes the client (run under ASan and UBSan): random mutations of the
 * spec's JSON documents go through the JSON reader, canonical JSON, the license document checks
 * and the subject digest; mutations of a genuine signed answer go through the answer verifier.
 * Deterministic (a fixed seed); every mutated answer must be refused, never accepted.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "support.h"

static uint64_t state = 0x9E3779B97F4A7C15ULL;

/* How many rounds: `n` times LICTOR_TEST_FUZZ_SCALE (default 1), for longer runs by hand. */
static int rounds(int n) {
  const char *scale = getenv("LICTOR_TEST_FUZZ_SCALE");
  int k = scale == NULL ? 1 : atoi(scale);
  return n * (k < 1 ? 1 : k);
}

static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

static const char *const pieces[] = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true",
                                     "-0", "1e400", "0.5", "9007199254740993", "\xC3\xA9", "\xF0\x9F\x98\x80",
                                     "\xCE\xA3", "\xC4\xB0", " ", "\"licenses\":[]", "\"owner\":{\"a\":1}"};

/* One random change: a byte flipped, a piece inserted, a span deleted or duplicated. */
static void mutate(lictor_buf *b) {
  if (b->len == 0) return;
  size_t at = next() % b->len;
  switch (next() % 4) {
    case 0:
      b->data[at] = (char)(b->data[at] ^ (1 << (next() % 8)));
      break;
    case 1: {
      const char *p = pieces[next() % (sizeof pieces / sizeof *pieces)];
      lictor_buf c = {0};
      lictor_buf_put(&c, b->data, at);
      lictor_buf_puts(&c, p);
      lictor_buf_put(&c, b->data + at, b->len - at);
      lictor_buf_free(b);
      *b = c;
      break;
    }
    case 2: {
      size_t n = next() % 16;
      if (at + n > b->len) n = b->len - at;
      memmove(b->data + at, b->data + at + n, b->len - at - n);
      b->len -= n;
      break;
    }
    default: {
      size_t n = next() % 32;
      if (at + n > b->len) n = b->len - at;
      lictor_buf c = {0};
      lictor_buf_put(&c, b->data, at + n);
      lictor_buf_put(&c, b->data + at, b->len - at);
      lictor_buf_free(b);
      *b = c;
    }
  }
}

static void documents(const lictor_vendor_key *key) {
  lj_value *v = load_vectors("license-file");
  const lj_value *cases = lj_get(v, "cases");
  int parsed = 0, checked = 0;
  for (int round = 0; round < rounds(20000); round++) {
    const lj_value *c = cases->items[(size_t)round % cases->count];
    const lj_value *payload = lj_get(lj_get(c, "output"), "payload");
    lictor_buf b = {0};
    lictor_buf_put(&b, payload->str, payload->len);
    int changes = 1 + (int)(next() % 4);
    for (int k = 0; k < changes; k++) mutate(&b);
    lj_value *doc = lj_parse(b.data == NULL ? "" : b.data, b.len);
    if (doc != NULL) {
      parsed++;
      lictor_buf out = {0};
      lj_canonical(doc, &out);
      lictor_buf_free(&out);
      lj_value *checked_doc = NULL;
      lictor_error err;
      if (lictor_license_check_document(doc, &checked_doc, &err) == LICTOR_OK) {
        checked++;
        for (int format = 1; format <= 2; format++) {
          lictor_license_steps steps;
          if (lictor_license_steps_compute(checked_doc, format, key, &steps) == 0) lictor_license_steps_free(&steps);
        }
      } else {
        CHECK(strcmp(err.code, "LICTOR_E_FILE_FORMAT") == 0, "document refused with %s", err.code);
      }
      lj_free(checked_doc);
      lj_free(doc);
    }
    lictor_buf_free(&b);
  }
  fprintf(stderr, "documents: %d parsed, %d passed the checks\n", parsed, checked);
  CHECK(parsed > 1000 && checked > 100, "the mutations reach the checks");
  lj_free(v);
}

/* A genuine check answer of the test vendor, for a nonce; mutated copies must all be refused. */
static void answers(const lictor_vendor_key *key, const uint8_t vendor_seed[32]) {
  uint8_t seed[32], pk[32], sk[64];
  lictor_sha256("lictor/c-client-tests/container", 31, seed);
  crypto_sign_seed_keypair(pk, sk, seed);
  lictor_buf sign = {0};
  lictor_b64url_encode(pk, 32, &sign);
  lictor_buf_finish(&sign);
  char doc[1400];
  snprintf(doc, sizeof doc,
           "{\"format\":1,\"containerId\":\"c-1\",\"activationId\":\"a-1\",\"serial\":\"LX-1\",\"pin\":1,"
           "\"issuedAt\":\"2026-01-01T00:00:00.000Z\",\"counter\":0,\"owner\":{},"
           "\"binding\":{\"kind\":\"token\",\"token\":{\"manufacturer\":\"m\",\"model\":\"x\",\"serial\":\"1\"},"
           "\"publicKey\":\"k\"},\"licenses\":[{\"product\":\"P\",\"type\":\"single\",\"users\":1,\"sessions\":null,"
           "\"arch\":null,\"expiresAt\":null,\"features\":[{\"code\":\"f\",\"users\":null}]}],"
           "\"containerKeys\":{\"sign\":\"%s\",\"box\":\"b\"}}",
           sign.data);
  lictor_buf_free(&sign);
  lj_value *d = json_of(doc);
  char *license = seal_license(d, vendor_seed);
  lj_free(d);
  const char *nonce = "AAAAAAAAAAAAAAAAAAAAAA";
  const char *answer = "{\"expiresAt\":null,\"feature\":\"f\",\"file\":\"/f\",\"licenseId\":\"a-1:P\",\"product\":\"P\","
                       "\"serial\":\"LX-1\",\"type\":\"single\",\"users\":null}";
  lictor_buf statement = {0}, bytes = {0};
  lictor_buf_puts(&statement, "{\"answer\":");
  lictor_buf_puts(&statement, answer);
  lictor_buf_puts(&statement, ",\"container\":\"c-1\",\"nonce\":\"");
  lictor_buf_puts(&statement, nonce);
  lictor_buf_puts(&statement, "\",\"purpose\":\"runtime-check\"}");
  lictor_buf_finish(&statement);
  lictor_buf_put(&bytes, "lictor/v1/signed-answer", 24);
  lictor_buf_puts(&bytes, statement.data);
  uint8_t sig[64];
  crypto_sign_detached(sig, NULL, (const uint8_t *)bytes.data, bytes.len, sk);
  lictor_buf_free(&bytes);
  cJSON *outer = cJSON_Parse(answer);
  cJSON *proof = cJSON_AddObjectToObject(outer, "proof");
  lictor_buf s64 = {0};
  lictor_b64url_encode(sig, 64, &s64);
  lictor_buf_finish(&s64);
  cJSON_AddStringToObject(proof, "license", license);
  cJSON_AddStringToObject(proof, "key", "container");
  cJSON_AddStringToObject(proof, "signature", s64.data);
  cJSON_AddStringToObject(proof, "signed", statement.data);
  char *genuine = cJSON_PrintUnformatted(outer);
  cJSON_Delete(outer);
  lictor_buf_free(&s64);
  lictor_buf_free(&statement);
  free(license);

  long long now = 1767225600000LL;
  lictor_verified v;
  lictor_error err;
  cJSON *parsed = cJSON_Parse(genuine);
  int rc = lictor_verify_answer(genuine, strlen(genuine), parsed, nonce, "runtime-check", key, NULL, "P", "f", now, &v, &err);
  CHECK(rc == LICTOR_OK, "the genuine answer verifies: %s", err.message);
  char *statement_text = rc == LICTOR_OK ? cJSON_PrintUnformatted((cJSON *)v.statement) : NULL;
  char *document_json = rc == LICTOR_OK ? lictor_strdup(v.license->document_json) : NULL;
  lictor_verified_free(&v);
  if (statement_text == NULL || document_json == NULL) return;
  cJSON_Delete(parsed);

  int accepted = 0;
  for (int round = 0; round < rounds(3000); round++) {
    lictor_buf b = {0};
    lictor_buf_puts(&b, genuine);
    int changes = 1 + (int)(next() % 3);
    for (int k = 0; k < changes; k++) mutate(&b);
    lictor_buf_finish(&b);
    cJSON *json = cJSON_ParseWithLength(b.data, b.len);
    rc = lictor_verify_answer(b.data, b.len, json, nonce, "runtime-check", key, NULL, "P", "f", now, &v, &err);
    if (rc == LICTOR_OK) {
      /* Only changes that keep the meaning pass: white space or line breaks in the armored license,
         a key repeated before the one that counts, an escape of the same text. */
      accepted++;
      char *statement_now = cJSON_PrintUnformatted((cJSON *)v.statement);
      CHECK(strcmp(statement_now, statement_text) == 0, "an accepted mutation keeps the statement: %s", b.data);
      CHECK(strcmp(v.license->document_json, document_json) == 0, "an accepted mutation keeps the license");
      cJSON_free(statement_now);
      lictor_verified_free(&v);
    } else {
      CHECK(rc == LICTOR_ERR_UNPROVEN && strcmp(err.code, "LICTOR_E_ANSWER_UNPROVEN") == 0, "refused as unproven: %s",
            err.code);
    }
    cJSON_Delete(json);
    lictor_buf_free(&b);
  }
  fprintf(stderr, "answers: %d of %d mutations accepted (meaning unchanged)\n", accepted, rounds(3000));
  cJSON_free(statement_text);
  free(document_json);
  free(genuine);
}

int main(void) {
  lictor_error err;
  if (lictor_crypto_ready(&err) != LICTOR_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  lj_value *v = load_vectors("vendor-key");
  const lj_value *k0 = lj_get(v, "keys")->items[0];
  lictor_vendor_key key;
  const char *text = vstr(k0, "text");
  lictor_vendor_key_parse(text, strlen(text), &key, &err);
  uint8_t seed[32];
  hex_decode(vstr(k0, "seedHex"), seed, 32);
  lj_free(v);
  documents(&key);
  answers(&key, seed);
  return test_report("test_fuzz");
}
