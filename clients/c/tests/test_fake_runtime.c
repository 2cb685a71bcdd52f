/*
 * A fake runtime (a loopback HTTP server and a Unix socket server in this process) answers the
 * client with well-formed JSON: without a proof, with a proof over another nonce, with another
 * vendor's license, a made-up or altered license, a signature by another key, an expired license,
 * and so on. The client must refuse every one with LICTOR_E_ANSWER_UNPROVEN and the right reason,
 * and accept the genuine answer (made with the test vendor key of spec/vectors/vendor-key.json
 * and a container key of this test), taking what it returns from the signed statement only. The
 * rules are those of the reference verifier, verifyRuntimeAnswer (packages/protocol/src/runtime-answer.ts).
 *
 * Answer sessions: with `mac_sessions` the fake runtime opens the client's sealed secret (the
 * license's box key is the vectors' container's, whose scalar it holds) and MACs its answers as
 * the runtime does; the client must accept those, and refuse a MAC under a made-up secret, a MAC'd
 * answer for another nonce, another container's statement MAC'd under the session, a MAC'd seat
 * and a MAC'd answer to a request that named no session.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cJSON.h"
#include "fake_runtime.h"
#include "support.h"

enum mode {
  GENUINE,
  NO_PROOF,
  NULL_PROOF,
  REPLAY,
  OTHER_VENDOR,
  MADE_UP,
  ALTERED,
  WRONG_KEY,
  UNSIGNED_OUTER,
  EXPIRED,
  NO_KEYS,
  WRONG_PURPOSE,
  WRONG_CONTAINER,
  OTHER_PRODUCT_ANSWER,
  REFUSE,
  HTML_500,
  GARBAGE,
  PROOF_ARRAY,
  SIGNED_NOT_JSON,
  ANSWER_NOT_OBJECT,
  SIGNATURE_NOT_BASE64,
  KEY_NOT_CONTAINER,
  OTHER_PID,
  MISSING_FIELD,
  OTHER_LEASE,
  OTHER_LICENSE,       /* signed by a second license of this vendor (another container) */
  MAC_OTHER_SECRET,    /* MAC'd under a secret the client did not seal */
  MAC_REPLAY,          /* MAC'd under the session, for another nonce */
  MAC_OTHER_CONTAINER, /* another container's statement MAC'd under the session */
  MAC_UNNAMED,         /* MAC'd under the session whether or not the request names it (seats too) */
};

#define CONTAINER_1 "c0ffee00-0000-4000-8000-000000000001"
#define CONTAINER_2 "c0ffee00-0000-4000-8000-000000000002"

/* A session the fake runtime holds: the id, the secret it opened, the container of the license. */
typedef struct held_session {
  char id[64];
  uint8_t secret[32];
  char container[64];
} held_session;

typedef struct ctx {
  enum mode mode;
  char *good, *other_vendor, *expired, *no_keys, *second; /* armored licenses */
  char *upgrade_v1, *upgrade_v2; /* the same container and keys: v1 expires in 2030, v2 in 2099 */
  const char *current;           /* the license the runtime holds (GENUINE), NULL for `good` */
  int sign_once;                 /* sign the next answer even within a session (the license changed) */
  uint8_t container_sk[64], other_sk[64];
  char last_nonce[128];
  char last_body[4096];
  char last_content_type[128];
  int last_has_origin;
  char last_method[16];
  char last_path[512];
  char last_session[512];
  int mac_sessions;  /* open sealed secrets and MAC within sessions, as the runtime does */
  uint8_t box_scalar[32];
  held_session held[8];
  int held_count;
  int macs;          /* answers MAC'd */
} ctx;

static char *b64url(const uint8_t *b, size_t n) {
  lictor_buf out = {0};
  lictor_b64url_encode(b, n, &out);
  lictor_buf_finish(&out);
  return out.data;
}

/* A license document for the tests: MINER with features etl and reports, expiring at `expires`. */
static char *make_license(const uint8_t vendor_seed[32], const char *expires, const uint8_t *container_pk,
                          const char *container_id) {
  char keys[200] = "";
  if (container_pk != NULL) {
    char *sign = b64url(container_pk, 32);
    snprintf(keys, sizeof keys, ",\"containerKeys\":{\"sign\":\"%s\",\"box\":\"uvvwdtIc_rXyi29sEK9zEXn-CADIdPmG5zNalkDeaxM\"}",
             sign);
    free(sign);
  }
  char doc[2048];
  snprintf(doc, sizeof doc,
           "{\"format\":1,\"containerId\":\"%s\",\"activationId\":\"act-1\","
           "\"serial\":\"LX-TEST-C001\",\"pin\":1,\"issuedAt\":\"2026-01-01T00:00:00.000Z\",\"counter\":0,"
           "\"owner\":{\"company\":\"M\\u00fcller\",\"email\":\"it@example.com\"},"
           "\"binding\":{\"kind\":\"hardware\",\"hardware\":{\"platform\":\"linux\",\"osName\":\"Debian\","
           "\"osVersion\":\"12\",\"hostname\":\"Build-Host\",\"board\":\"\",\"ramBytes\":1024,\"bios\":\"\","
           "\"cpus\":[\"cpu\"],\"nics\":[\"02-00-5E-10-00-01\"],\"disks\":[]}},"
           "\"licenses\":[{\"product\":\"MINER\",\"type\":\"single\",\"users\":1,\"sessions\":null,\"arch\":null,"
           "\"expiresAt\":%s,\"features\":[{\"code\":\"etl\",\"users\":null},{\"code\":\"reports\",\"users\":5}]}]%s}",
           container_id, expires, keys);
  lj_value *v = json_of(doc);
  char *text = seal_license(v, vendor_seed);
  lj_free(v);
  return text;
}

/* What a signature or a session MAC covers: the domain, its NUL, then the statement. */
static lictor_buf answer_bytes(const char *statement) {
  lictor_buf bytes = {0};
  lictor_buf_put(&bytes, "lictor/v1/signed-answer", 24); /* with its NUL */
  lictor_buf_puts(&bytes, statement);
  return bytes;
}

static void add_proof(cJSON *outer, const char *license, const char *statement, const uint8_t sk[64]) {
  lictor_buf bytes = answer_bytes(statement);
  uint8_t sig[64];
  crypto_sign_detached(sig, NULL, (const uint8_t *)bytes.data, bytes.len, sk);
  lictor_buf_free(&bytes);
  char *signature = b64url(sig, 64);
  cJSON *proof = cJSON_AddObjectToObject(outer, "proof");
  cJSON_AddStringToObject(proof, "license", license);
  cJSON_AddStringToObject(proof, "key", "container");
  cJSON_AddStringToObject(proof, "signature", signature);
  cJSON_AddStringToObject(proof, "signed", statement);
  free(signature);
}

static void add_mac_proof(cJSON *outer, const char *statement, const uint8_t secret[32]) {
  lictor_buf bytes = answer_bytes(statement);
  uint8_t mac[32];
  lictor_hmac_sha256(secret, 32, bytes.data, bytes.len, mac);
  lictor_buf_free(&bytes);
  char *text = b64url(mac, 32);
  cJSON *proof = cJSON_AddObjectToObject(outer, "proof");
  cJSON_AddStringToObject(proof, "key", "session");
  cJSON_AddStringToObject(proof, "mac", text);
  cJSON_AddStringToObject(proof, "signed", statement);
  free(text);
}

/*
 * The session the request names, as the runtime keeps them: held under its id, or opened from
 * `<id>.<sealed>` when the id is that of the sealed text and the container's scalar opens it
 * (the session then belongs to `container`, the license granting). NULL otherwise.
 */
static held_session *named_session(ctx *c, const char *header, const char *container) {
  if (header[0] == '\0') return NULL;
  const char *dot = strchr(header, '.');
  size_t id_len = dot == NULL ? strlen(header) : (size_t)(dot - header);
  for (int k = 0; k < c->held_count; k++) {
    if (strlen(c->held[k].id) == id_len && strncmp(c->held[k].id, header, id_len) == 0) return &c->held[k];
  }
  if (dot == NULL || id_len >= sizeof c->held[0].id || c->held_count == 8) return NULL;
  uint8_t digest[32], secret[64];
  lictor_sha256(dot + 1, strlen(dot + 1), digest);
  char *id = b64url(digest, 16);
  int match = strlen(id) == id_len && strncmp(id, header, id_len) == 0;
  free(id);
  if (!match || lictor_open_sealed(c->box_scalar, dot + 1, strlen(dot + 1), "signed-answer-session", secret,
                                   sizeof secret) != 32)
    return NULL;
  held_session *h = &c->held[c->held_count++];
  memcpy(h->id, header, id_len);
  h->id[id_len] = '\0';
  memcpy(h->secret, secret, 32);
  snprintf(h->container, sizeof h->container, "%s", container);
  return h;
}

/* `{"answer":…,"container":…,"nonce":…,"purpose":…}` in canonical JSON. */
static char *statement_of(const cJSON *answer, const char *container, const char *nonce, const char *purpose) {
  char *answer_text = cJSON_PrintUnformatted(answer);
  lj_value *a = json_of(answer_text);
  cJSON_free(answer_text);
  lj_value *s = lj_new(LJ_OBJECT);
  lj_set(s, "answer", a);
  lj_set(s, "container", lj_new_string(container, strlen(container)));
  lj_set(s, "nonce", lj_new_string(nonce, strlen(nonce)));
  lj_set(s, "purpose", lj_new_string(purpose, strlen(purpose)));
  lictor_buf b = {0};
  lj_canonical(s, &b);
  lj_free(s);
  lictor_buf_finish(&b);
  return b.data;
}

static void handle(void *arg, const fake_request *req, int *status, lictor_buf *out) {
  ctx *c = arg;
  snprintf(c->last_method, sizeof c->last_method, "%s", req->method);
  snprintf(c->last_path, sizeof c->last_path, "%s", req->path);
  snprintf(c->last_body, sizeof c->last_body, "%s", req->body);
  snprintf(c->last_content_type, sizeof c->last_content_type, "%s", req->content_type);
  c->last_has_origin = req->has_origin;
  snprintf(c->last_session, sizeof c->last_session, "%s", req->session);
  if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/v1/status") == 0) {
    *status = 200;
    lictor_buf_puts(out, "{\"runtime\":{\"id\":\"rt-1\",\"version\":\"0.0.0\",\"startedAt\":\"2026-01-01T00:00:00.000Z\","
                         "\"stateDir\":\"/x\",\"socket\":null,\"url\":null},\"products\":[],"
                         "\"sessions\":{\"count\":2,\"processes\":1},\"seats\":{\"count\":0}}");
    return;
  }
  if (strcmp(req->method, "DELETE") == 0) {
    if (strcmp(req->path, "/v1/sessions/s-1") == 0 || strcmp(req->path, "/v1/seats/seat%2F1") == 0) {
      *status = 204;
    } else {
      *status = 404;
      lictor_buf_puts(out, "{\"code\":\"LICTOR_E_SESSION_UNKNOWN\",\"message\":\"no session with this id\"}");
    }
    return;
  }
  cJSON *body = cJSON_Parse(req->body);
  const char *nonce = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "nonce"));
  const char *product = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "product"));
  const cJSON *feature = cJSON_GetObjectItemCaseSensitive(body, "feature");
  const cJSON *pid = cJSON_GetObjectItemCaseSensitive(body, "pid");
  snprintf(c->last_nonce, sizeof c->last_nonce, "%s", nonce == NULL ? "" : nonce);
  if (c->mode == REFUSE) {
    *status = 403;
    lictor_buf_puts(out, "{\"code\":\"LICTOR_E_FEATURE_NOT_LICENSED\",\"message\":\"feature 'x' is not licensed\","
                         "\"details\":{\"feature\":\"x\"}}");
    cJSON_Delete(body);
    return;
  }
  if (c->mode == HTML_500) {
    *status = 500;
    lictor_buf_puts(out, "<html>oops</html>");
    cJSON_Delete(body);
    return;
  }
  if (c->mode == GARBAGE) {
    *status = 200;
    lictor_buf_puts(out, "{\"product\": \"MINER\", ");
    cJSON_Delete(body);
    return;
  }
  const char *path = req->path;
  const char *purpose = strcmp(path, "/v1/check") == 0      ? "runtime-check"
                        : strcmp(path, "/v1/sessions") == 0 ? "runtime-session"
                                                            : "lease";
  const char *asked = product == NULL ? "?" : product;
  const char *granted = c->mode == OTHER_PRODUCT_ANSWER ? "OTHER" : asked;
  cJSON *answer = cJSON_CreateObject();
  cJSON *outer;
  if (strcmp(purpose, "runtime-check") == 0) {
    cJSON_AddStringToObject(answer, "product", granted);
    if (cJSON_IsString(feature)) cJSON_AddStringToObject(answer, "feature", feature->valuestring);
    else cJSON_AddNullToObject(answer, "feature");
    cJSON_AddStringToObject(answer, "serial", "LX-TEST-C001");
    cJSON_AddStringToObject(answer, "licenseId", "act-1:MINER");
    if (c->mode != MISSING_FIELD) cJSON_AddStringToObject(answer, "type", "single");
    cJSON_AddNumberToObject(answer, "users", 5);
    cJSON_AddStringToObject(answer, "expiresAt", "2099-01-01T00:00:00.000Z");
    cJSON_AddStringToObject(answer, "file", "/var/lib/lictor/runtime/licenses/LX-TEST-C001.lic");
    outer = cJSON_Duplicate(answer, 1);
    *status = 200;
  } else if (strcmp(purpose, "runtime-session") == 0) {
    cJSON_AddStringToObject(answer, "id", "s-1");
    cJSON_AddStringToObject(answer, "product", granted);
    if (cJSON_IsString(feature)) cJSON_AddStringToObject(answer, "feature", feature->valuestring);
    else cJSON_AddNullToObject(answer, "feature");
    cJSON_AddStringToObject(answer, "serial", "LX-TEST-C001");
    cJSON_AddStringToObject(answer, "licenseId", "act-1:MINER");
    cJSON_AddStringToObject(answer, "licenseFile", "/x/LX-TEST-C001.lic");
    cJSON_AddNumberToObject(answer, "pid", c->mode == OTHER_PID ? 1 : (pid == NULL ? 0 : pid->valuedouble));
    cJSON_AddStringToObject(answer, "osSession", "42");
    cJSON_AddStringToObject(answer, "openedAt", "2026-01-01T00:00:00.000Z");
    outer = cJSON_Duplicate(answer, 1);
    *status = 201;
  } else {
    cJSON *seat = cJSON_CreateObject();
    cJSON_AddStringToObject(seat, "id", "seat/1");
    cJSON_AddStringToObject(seat, "leaseId", "lease-1");
    cJSON_AddStringToObject(seat, "product", granted);
    if (cJSON_IsString(feature)) cJSON_AddStringToObject(seat, "feature", feature->valuestring);
    else cJSON_AddNullToObject(seat, "feature");
    cJSON_AddStringToObject(seat, "manager", "http://127.0.0.1:8790");
    cJSON_AddStringToObject(seat, "state", "active");
    cJSON_AddStringToObject(seat, "expiresAt", "2026-01-01T00:01:00.000Z");
    cJSON_AddNumberToObject(seat, "heartbeatIntervalMs", 20000);
    if (pid != NULL) cJSON_AddNumberToObject(seat, "pid", c->mode == OTHER_PID ? 1 : pid->valuedouble);
    else cJSON_AddNullToObject(seat, "pid");
    /* The manager's lease answer is what is signed; the runtime's seat answer carries its proof. */
    cJSON *lease = cJSON_AddObjectToObject(answer, "lease");
    cJSON_AddStringToObject(lease, "id", "lease-1");
    cJSON_AddStringToObject(lease, "product", granted);
    if (cJSON_IsString(feature)) cJSON_AddStringToObject(lease, "feature", feature->valuestring);
    else cJSON_AddNullToObject(lease, "feature");
    cJSON_AddStringToObject(lease, "licenseId", "act-1:MINER");
    cJSON_AddStringToObject(lease, "source", "file");
    cJSON_AddStringToObject(lease, "grantedAt", "2026-01-01T00:00:00.000Z");
    cJSON_AddStringToObject(lease, "expiresAt", "2026-01-01T00:01:00.000Z");
    cJSON_AddNumberToObject(lease, "heartbeatIntervalMs", 20000);
    cJSON_AddBoolToObject(answer, "renewed", 0);
    if (c->mode == OTHER_LEASE) cJSON_ReplaceItemInObject(seat, "leaseId", cJSON_CreateString("lease-2"));
    outer = seat;
    *status = 201;
  }
  if (c->mode == UNSIGNED_OUTER) {
    /* The unsigned fields say something else: the client must use the signed statement. */
    cJSON_ReplaceItemInObject(outer, "serial", cJSON_CreateString("FORGED"));
    cJSON_ReplaceItemInObject(outer, "file", cJSON_CreateString("/forged"));
  }
  const char *granting = c->mode == OTHER_LICENSE ? CONTAINER_2 : CONTAINER_1;
  const char *container = c->mode == WRONG_CONTAINER       ? "another-container"
                          : c->mode == MAC_OTHER_CONTAINER ? CONTAINER_2
                                                           : granting;
  char fresh[64];
  snprintf(fresh, sizeof fresh, "%s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  const char *signed_nonce = c->mode == REPLAY || c->mode == MAC_REPLAY ? fresh : (nonce == NULL ? "" : nonce);
  /* Within a session (never for a seat): MAC'd when the session is the granting license's. */
  held_session *session = NULL;
  if (c->mac_sessions && strcmp(purpose, "lease") != 0) {
    session = named_session(c, req->session, granting);
    if (session != NULL && strcmp(session->container, granting) != 0) session = NULL;
  }
  if (c->mode == MAC_UNNAMED && c->held_count > 0) session = &c->held[0];
  if (c->sign_once && strcmp(purpose, "lease") != 0) {
    session = NULL;
    c->sign_once = 0;
  }
  char *statement = c->mode == ANSWER_NOT_OBJECT ? NULL
                                                  : statement_of(answer, container, signed_nonce,
                                                                 c->mode == WRONG_PURPOSE ? "heartbeat" : purpose);
  if (c->mode == ANSWER_NOT_OBJECT) {
    lictor_buf b = {0};
    lictor_buf_puts(&b, "{\"answer\":\"yes\",\"container\":\"c0ffee00-0000-4000-8000-000000000001\",\"nonce\":\"");
    lictor_buf_puts(&b, signed_nonce);
    lictor_buf_puts(&b, "\",\"purpose\":\"runtime-check\"}");
    lictor_buf_finish(&b);
    statement = b.data;
  }
  if (c->mode == SIGNED_NOT_JSON) {
    free(statement);
    statement = lictor_strdup("hello");
  }
  const char *license = c->mode == OTHER_LICENSE ? c->second
                        : c->mode == OTHER_VENDOR ? c->other_vendor
                        : c->mode == EXPIRED    ? c->expired
                        : c->mode == NO_KEYS    ? c->no_keys
                        : c->mode == MADE_UP    ? "-----BEGIN LICTOR LICENSE-----\nTENUUgEBAAAA\n-----END LICTOR LICENSE-----\n"
                        : c->current != NULL    ? c->current
                                                : c->good;
  char *altered = NULL;
  if (c->mode == ALTERED) {
    altered = lictor_strdup(c->good);
    altered[200] = altered[200] == 'A' ? 'B' : 'A';
    license = altered;
  }
  if (c->mode == NULL_PROOF) {
    cJSON_AddNullToObject(outer, "proof");
    cJSON *why = cJSON_AddObjectToObject(outer, "unproven");
    cJSON_AddStringToObject(why, "reason", "no-key");
    cJSON_AddStringToObject(why, "message", "license LX-OLD was activated before containers had keys");
  } else if (c->mode == PROOF_ARRAY) {
    cJSON_AddArrayToObject(outer, "proof");
  } else if (session != NULL) {
    uint8_t made_up[32];
    lictor_sha256("a secret the client did not seal", 32, made_up);
    add_mac_proof(outer, statement, c->mode == MAC_OTHER_SECRET ? made_up : session->secret);
    c->macs++;
  } else if (c->mode != NO_PROOF) {
    add_proof(outer, license, statement,
              c->mode == WRONG_KEY || c->mode == OTHER_LICENSE ? c->other_sk : c->container_sk);
  }
  cJSON *proof = cJSON_GetObjectItemCaseSensitive(outer, "proof");
  if (c->mode == SIGNATURE_NOT_BASE64) cJSON_ReplaceItemInObject(proof, "signature", cJSON_CreateString("not base64!"));
  if (c->mode == KEY_NOT_CONTAINER) cJSON_ReplaceItemInObject(proof, "key", cJSON_CreateString("session"));
  char *text = cJSON_PrintUnformatted(outer);
  lictor_buf_puts(out, text);
  cJSON_free(text);
  free(statement);
  free(altered);
  cJSON_Delete(answer);
  cJSON_Delete(outer);
  cJSON_Delete(body);
}

static lictor_runtime *open_to(const fake_server *s, const char *public_key) {
  lictor_runtime_options o = {0};
  o.public_key = public_key;
  o.url = fake_url(s);
  o.socket_path = fake_socket(s);
  o.timeout_ms = 5000;
  lictor_runtime *rt = NULL;
  lictor_error err;
  int rc = lictor_runtime_open(&o, &rt, &err);
  CHECK(rc == LICTOR_OK, "open: %s", err.message);
  return rt;
}

static void expect_unproven(lictor_runtime *rt, ctx *c, enum mode mode, const char *reason, const char *what) {
  c->mode = mode;
  lictor_grant *g = NULL;
  lictor_error err;
  int rc = lictor_runtime_check(rt, "MINER", "reports", &g, &err);
  CHECK(rc == LICTOR_ERR_UNPROVEN && g == NULL, "%s: refused (got %s %s: %s)", what, lictor_status_name(rc), err.code,
        err.message);
  CHECK(rc != LICTOR_ERR_UNPROVEN || strcmp(err.code, "LICTOR_E_ANSWER_UNPROVEN") == 0, "%s: code %s", what, err.code);
  CHECK(rc != LICTOR_ERR_UNPROVEN || strcmp(err.reason, reason) == 0, "%s: reason %s, want %s (%s)", what, err.reason,
        reason, err.message);
  if (getenv("LICTOR_TEST_VERBOSE") != NULL) fprintf(stderr, "%-50s %s [%s] %s\n", what, err.code, err.reason, err.message);
  lictor_grant_free(g);
}

static void checks(lictor_runtime *rt, ctx *c, const char *public_key) {
  /* The genuine answer: verified, and what it returns comes from the signed statement. */
  c->mode = GENUINE;
  lictor_grant *g = NULL;
  lictor_error err;
  int rc = lictor_runtime_check(rt, "MINER", "reports", &g, &err);
  CHECK(rc == LICTOR_OK, "genuine check: %s %s", err.code, err.message);
  if (g != NULL) {
    CHECK_STR(g->product, "MINER", "product");
    CHECK_STR(g->feature, "reports", "feature");
    CHECK_STR(g->serial, "LX-TEST-C001", "serial");
    CHECK_STR(g->type, "single", "type");
    CHECK(g->users == 5, "users");
    CHECK_STR(g->container_id, "c0ffee00-0000-4000-8000-000000000001", "container");
  }
  lictor_grant_free(g);
  /* What the client sent: JSON, no Origin, its key in canonical form, a fresh 32-byte nonce. */
  CHECK_STR(c->last_method, "POST", "method");
  CHECK_STR(c->last_path, "/v1/check", "path");
  CHECK_STR(c->last_content_type, "application/json", "content-type");
  CHECK(!c->last_has_origin, "no Origin header");
  CHECK(strlen(c->last_nonce) == 43, "nonce of 32 bytes: %s", c->last_nonce);
  cJSON *sent = cJSON_Parse(c->last_body);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sent, "publicKey")), public_key, "publicKey");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sent, "feature")), "reports", "feature sent");
  CHECK(cJSON_GetObjectItemCaseSensitive(sent, "role") == NULL, "no role unless set");
  cJSON_Delete(sent);
  char first_nonce[128];
  snprintf(first_nonce, sizeof first_nonce, "%s", c->last_nonce);
  rc = lictor_runtime_check(rt, "MINER", NULL, &g, &err);
  CHECK(rc == LICTOR_OK && g != NULL && g->feature == NULL, "the product alone: %s", err.message);
  CHECK(strcmp(first_nonce, c->last_nonce) != 0, "a new nonce per request");
  lictor_grant_free(g);

  /* The signed statement decides: an answer whose own fields differ from it is refused. */
  expect_unproven(rt, c, UNSIGNED_OUTER, "signature", "unsigned fields that differ from the signed answer");
  expect_unproven(rt, c, NO_PROOF, "missing", "no proof");
  expect_unproven(rt, c, NULL_PROOF, "missing", "a null proof");
  lictor_error why;
  c->mode = NULL_PROOF;
  lictor_runtime_check(rt, "MINER", "reports", &g, &why);
  CHECK(strstr(why.message, "activated before containers had keys") != NULL, "the runtime's reason is told: %s",
        why.message);
  expect_unproven(rt, c, REPLAY, "signature", "a proof over another nonce (replay)");
  expect_unproven(rt, c, OTHER_VENDOR, "license", "another vendor's license");
  expect_unproven(rt, c, MADE_UP, "license", "a made-up license");
  expect_unproven(rt, c, ALTERED, "license", "an altered license");
  expect_unproven(rt, c, WRONG_KEY, "signature", "signed by a key the license does not name");
  expect_unproven(rt, c, EXPIRED, "not-covered", "an expired license");
  expect_unproven(rt, c, NO_KEYS, "no-key", "a license without container keys");
  expect_unproven(rt, c, WRONG_PURPOSE, "signature", "an answer signed for another purpose");
  expect_unproven(rt, c, WRONG_CONTAINER, "signature", "a statement naming another container");
  expect_unproven(rt, c, OTHER_PRODUCT_ANSWER, "not-covered", "a signed answer for another product");
  expect_unproven(rt, c, GARBAGE, "malformed", "an answer that is not JSON");
  expect_unproven(rt, c, PROOF_ARRAY, "malformed", "a proof that is not an object");
  expect_unproven(rt, c, SIGNED_NOT_JSON, "malformed", "a signed statement that is not JSON");
  expect_unproven(rt, c, ANSWER_NOT_OBJECT, "not-covered", "a signed answer that is not an object (not about the product)");
  expect_unproven(rt, c, SIGNATURE_NOT_BASE64, "malformed", "a signature that is not base64url");
  expect_unproven(rt, c, KEY_NOT_CONTAINER, "malformed", "a proof by another kind of key");
  expect_unproven(rt, c, MISSING_FIELD, "malformed", "a signed check answer without its type");

  /* A license that does not hold the product asked for. */
  c->mode = GENUINE;
  rc = lictor_runtime_check(rt, "OTHER", NULL, &g, &err);
  CHECK(rc == LICTOR_ERR_UNPROVEN && strcmp(err.reason, "not-covered") == 0, "another product: %s", err.reason);
  rc = lictor_runtime_check(rt, "MINER", "nope", &g, &err);
  CHECK(rc == LICTOR_ERR_UNPROVEN && strcmp(err.reason, "not-covered") == 0, "another feature: %s", err.reason);

  /* The runtime's refusals come through with their code, message and details. */
  c->mode = REFUSE;
  rc = lictor_runtime_check(rt, "MINER", "x", &g, &err);
  CHECK(rc == LICTOR_ERR_REFUSED && strcmp(err.code, "LICTOR_E_FEATURE_NOT_LICENSED") == 0, "refusal: %s", err.code);
  CHECK(err.http_status == 403, "http status %d", err.http_status);
  CHECK_STR(err.message, "feature 'x' is not licensed", "refusal message");
  CHECK_STR(err.details, "{\"feature\":\"x\"}", "refusal details");
  c->mode = HTML_500;
  rc = lictor_runtime_check(rt, "MINER", "x", &g, &err);
  CHECK(rc == LICTOR_ERR_TRANSPORT && strcmp(err.code, "LICTOR_E_INTERNAL") == 0, "not a Lictor error: %s", err.code);
}

static void sessions_and_seats(lictor_runtime *rt, ctx *c) {
  lictor_error err;
  c->mode = GENUINE;
  lictor_session *s = NULL;
  int rc = lictor_runtime_open_session(rt, "MINER", "etl", NULL, &s, &err);
  CHECK(rc == LICTOR_OK && s != NULL, "session: %s %s", err.code, err.message);
  if (s != NULL) {
    CHECK_STR(s->id, "s-1", "session id");
    CHECK(s->pid == (long long)getpid(), "session pid");
    CHECK_STR(s->license_file, "/x/LX-TEST-C001.lic", "license file");
    cJSON *sent = cJSON_Parse(c->last_body);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sent, "pid")) == (double)getpid(), "pid sent");
    cJSON_Delete(sent);
    CHECK(lictor_runtime_close_session(rt, s->id, &err) == LICTOR_OK, "close: %s", err.message);
    CHECK_STR(c->last_method, "DELETE", "close method");
    CHECK_STR(c->last_path, "/v1/sessions/s-1", "close path");
  }
  lictor_session_free(s);
  rc = lictor_runtime_close_session(rt, "unknown", &err);
  CHECK(rc == LICTOR_ERR_REFUSED && strcmp(err.code, "LICTOR_E_SESSION_UNKNOWN") == 0, "unknown session: %s",
        err.code);
  c->mode = OTHER_PID;
  rc = lictor_runtime_open_session(rt, "MINER", "etl", NULL, &s, &err);
  CHECK(rc == LICTOR_ERR_UNPROVEN && s == NULL, "a session of another process is refused");
  c->mode = REPLAY;
  rc = lictor_runtime_open_session(rt, "MINER", "etl", NULL, &s, &err);
  CHECK(rc == LICTOR_ERR_UNPROVEN && strcmp(err.reason, "signature") == 0, "a replayed session is refused");

  c->mode = GENUINE;
  lictor_seat *seat = NULL;
  const char *managers[] = {"http://127.0.0.1:8790", NULL};
  rc = lictor_runtime_take_seat(rt, "MINER", "reports", managers, 1, &seat, &err);
  CHECK(rc == LICTOR_OK && seat != NULL, "seat: %s %s", err.code, err.message);
  if (seat != NULL) {
    CHECK_STR(seat->id, "seat/1", "seat id");
    CHECK_STR(seat->lease_id, "lease-1", "lease id");
    CHECK_STR(seat->state, "active", "state");
    CHECK(seat->heartbeat_interval_ms == 20000, "heartbeat");
    CHECK(seat->pid == (long long)getpid(), "seat pid");
    cJSON *sent = cJSON_Parse(c->last_body);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(sent, "managers");
    CHECK(cJSON_GetArraySize(m) == 1, "managers sent");
    CHECK(cJSON_GetObjectItemCaseSensitive(sent, "role") == NULL, "a seat request has no role");
    cJSON_Delete(sent);
    CHECK(lictor_runtime_release_seat(rt, seat->id, &err) == LICTOR_OK, "release: %s", err.message);
    CHECK_STR(c->last_path, "/v1/seats/seat%2F1", "the id is escaped in the path");
  }
  lictor_seat_free(seat);
  struct {
    enum mode mode;
    const char *feature;
    const char *reason;
    const char *what;
  } refused_seats[] = {
      {OTHER_VENDOR, "reports", "license", "a seat proven by another vendor's license"},
      {OTHER_PRODUCT_ANSWER, NULL, "not-covered", "a seat of another product"},
      {REPLAY, "reports", "signature", "a replayed seat"},
      {OTHER_LEASE, "reports", "signature", "a seat naming another lease than the one signed"},
      {NO_PROOF, "reports", "missing", "a seat without proof"},
      {OTHER_PID, "reports", "malformed", "a seat held for another process"},
  };
  for (size_t k = 0; k < sizeof refused_seats / sizeof *refused_seats; k++) {
    c->mode = refused_seats[k].mode;
    rc = lictor_runtime_take_seat(rt, "MINER", refused_seats[k].feature, NULL, 1, &seat, &err);
    CHECK(rc == LICTOR_ERR_UNPROVEN && seat == NULL && strcmp(err.reason, refused_seats[k].reason) == 0,
          "%s: %s [%s] %s", refused_seats[k].what, err.code, err.reason, err.message);
  }

  lictor_runtime_status *st = NULL;
  rc = lictor_runtime_get_status(rt, &st, &err);
  CHECK(rc == LICTOR_OK && st != NULL, "status: %s", err.message);
  if (st != NULL) {
    CHECK_STR(st->runtime_id, "rt-1", "runtime id");
    CHECK(st->sessions == 2 && st->processes == 1 && st->seats == 0, "counts");
  }
  lictor_runtime_status_free(st);
}

/* A check of MINER/`feature` that must be granted; whether it came MAC'd, or -1. */
static int granted(lictor_runtime *rt, const char *feature, const char *container, const char *what) {
  lictor_grant *g = NULL;
  lictor_error err;
  int rc = lictor_runtime_check(rt, "MINER", feature, &g, &err);
  CHECK(rc == LICTOR_OK && g != NULL, "%s: %s [%s] %s", what, err.code, err.reason, err.message);
  if (g == NULL) return -1;
  CHECK_STR(g->serial, "LX-TEST-C001", what);
  CHECK_STR(g->container_id, container, what);
  int mac = g->session_mac;
  lictor_grant_free(g);
  return mac;
}

/* The header sent: "" (none), "id" (the id alone) or "sealed" (`<id>.<sealed>` whose id is that of the sealed text). */
static const char *header_kind(const ctx *c) {
  const char *h = c->last_session, *dot = strchr(h, '.');
  if (h[0] == '\0') return "";
  if (dot == NULL) return strlen(h) == 22 ? "id" : "bad";
  uint8_t digest[32];
  lictor_sha256(dot + 1, strlen(dot + 1), digest);
  char *id = b64url(digest, 16);
  int match = (size_t)(dot - h) == strlen(id) && strncmp(h, id, strlen(id)) == 0 && strlen(dot + 1) == 123;
  free(id);
  return match ? "sealed" : "bad";
}

/* The id part of the last header. */
static void last_id(const ctx *c, char out[64]) {
  snprintf(out, 64, "%.*s", (int)strcspn(c->last_session, "."), c->last_session);
}

static void answer_sessions(const fake_server *server, ctx *c, const char *public_key) {
  lictor_runtime *rt = open_to(server, public_key);
  lictor_error err;
  c->mac_sessions = 1;
  c->held_count = 0;
  c->macs = 0;
  c->mode = GENUINE;
  /* The first answer is signed; the next request carries the sealed secret and comes MAC'd, then the id alone. */
  CHECK(granted(rt, "reports", CONTAINER_1, "first check") == 0, "the first check is signed");
  CHECK_STR(header_kind(c), "", "no session named before a signed answer");
  CHECK(granted(rt, "reports", CONTAINER_1, "second check") == 1, "the second check is MAC'd");
  CHECK_STR(header_kind(c), "sealed", "the sealed secret sent");
  char first_id[64], id[64];
  last_id(c, first_id);
  CHECK(granted(rt, "reports", CONTAINER_1, "third check") == 1, "the third check is MAC'd");
  CHECK_STR(header_kind(c), "id", "then the id alone");
  last_id(c, id);
  CHECK_STR(id, first_id, "the same session");
  CHECK(c->held_count == 1 && c->macs == 2, "one session opened, two answers MAC'd");
  /* A session open of the same product and feature: MAC'd within the same session. */
  lictor_session *s = NULL;
  int rc = lictor_runtime_open_session(rt, "MINER", "reports", NULL, &s, &err);
  CHECK(rc == LICTOR_OK && s != NULL && s->session_mac, "a session open MAC'd: %s [%s] %s", err.code, err.reason,
        err.message);
  CHECK_STR(header_kind(c), "id", "the session open names the session");
  lictor_session_free(s);
  /* Another feature: signed first (the license that grants it is not known yet), then within the session. */
  CHECK(granted(rt, "etl", CONTAINER_1, "another feature") == 0, "another feature is signed first");
  CHECK_STR(header_kind(c), "", "no session named for it");
  CHECK(granted(rt, "etl", CONTAINER_1, "another feature again") == 1, "then MAC'd");
  CHECK_STR(header_kind(c), "id", "within the session already confirmed");

  /* Refused: a MAC under a made-up secret, a MAC'd answer for another nonce, another container's statement. */
  struct {
    enum mode mode;
    const char *what;
  } forged[] = {
      {MAC_OTHER_SECRET, "a MAC under a made-up secret"},
      {MAC_REPLAY, "a MAC'd answer for another nonce (replay)"},
      {MAC_OTHER_CONTAINER, "another container's statement MAC'd under the session"},
  };
  for (size_t k = 0; k < sizeof forged / sizeof *forged; k++) {
    expect_unproven(rt, c, forged[k].mode, "signature", forged[k].what);
    CHECK_STR(header_kind(c), "id", forged[k].what);
    CHECK(c->macs == 2 + 1 + 1 + (int)k + 1, "%s: it was MAC'd (%d)", forged[k].what, c->macs);
  }
  c->mode = GENUINE;
  CHECK(granted(rt, "reports", CONTAINER_1, "after the refusals") == 1, "the session goes on after refusals");

  /* The runtime restarts (loses its sessions): it signs, the client sends the sealed secret again. */
  c->held_count = 0;
  CHECK(granted(rt, "reports", CONTAINER_1, "after a restart") == 0, "signed after a restart");
  CHECK_STR(header_kind(c), "id", "the id the runtime no longer knows");
  CHECK(granted(rt, "reports", CONTAINER_1, "after a restart, again") == 1, "MAC'd again");
  CHECK_STR(header_kind(c), "sealed", "the sealed secret sent again");
  last_id(c, id);
  CHECK_STR(id, first_id, "the same secret sealed");

  /* Another license grants (signed): a new session with that license. */
  c->mode = OTHER_LICENSE;
  CHECK(granted(rt, "reports", CONTAINER_2, "another license") == 0, "another license signs");
  CHECK(granted(rt, "reports", CONTAINER_2, "another license again") == 1, "then MACs within its own session");
  CHECK_STR(header_kind(c), "sealed", "a new secret sealed to the other license");
  last_id(c, id);
  CHECK(strcmp(id, first_id) != 0, "another session id");
  CHECK(c->held_count == 2 && strcmp(c->held[1].container, CONTAINER_2) == 0, "the second session is the other license's");
  /* Back to the first license: signed (its session is not the one named), then its own session again. */
  c->mode = GENUINE;
  CHECK(granted(rt, "reports", CONTAINER_1, "the first license again") == 0, "signed by the first license");
  CHECK(granted(rt, "reports", CONTAINER_1, "the first license's session") == 1, "MAC'd in its session");
  last_id(c, id);
  CHECK_STR(id, first_id, "the first license's session");

  /* Seats never name a session; a MAC'd seat is refused. */
  lictor_seat *seat = NULL;
  rc = lictor_runtime_take_seat(rt, "MINER", "reports", NULL, 1, &seat, &err);
  CHECK(rc == LICTOR_OK && seat != NULL, "a signed seat: %s", err.message);
  CHECK_STR(header_kind(c), "", "a seat names no session");
  lictor_seat_free(seat);
  seat = NULL;
  c->mode = MAC_UNNAMED;
  rc = lictor_runtime_take_seat(rt, "MINER", "reports", NULL, 1, &seat, &err);
  CHECK(rc == LICTOR_ERR_UNPROVEN && seat == NULL && strcmp(err.reason, "signature") == 0, "a MAC'd seat: %s [%s]",
        err.code, err.reason);

  /* Signatures only: no session named, and a MAC'd answer is refused. */
  CHECK(lictor_runtime_set_proof(rt, LICTOR_PROOF_SIGNATURE, &err) == LICTOR_OK, "signatures only");
  CHECK(lictor_runtime_set_proof(rt, (lictor_proof_mode)7, &err) == LICTOR_ERR_INVALID, "an unknown proof mode");
  expect_unproven(rt, c, MAC_UNNAMED, "signature", "a MAC'd answer to a request that named no session");
  CHECK_STR(header_kind(c), "", "no session named with signatures only");
  c->mode = GENUINE;
  CHECK(granted(rt, "reports", CONTAINER_1, "signatures only") == 0, "signed");
  CHECK(granted(rt, "reports", CONTAINER_1, "signatures only, again") == 0, "signed again");
  CHECK_STR(header_kind(c), "", "still no session named");
  lictor_runtime_close(rt);
  c->mac_sessions = 0;
}

/*
 * A remote upgrade: the session is confirmed under license v1 (expires 2030); the runtime then
 * holds v2 (same container and keys, expires 2099) and signs once with it. With the clock past
 * 2030, MAC'd answers are checked against v2 and accepted; the same secret is sent sealed again.
 */
static void upgrade(const fake_server *server, ctx *c, const char *public_key) {
  lictor_runtime *rt = open_to(server, public_key);
  c->mac_sessions = 1;
  c->held_count = 0;
  c->macs = 0;
  c->mode = GENUINE;
  c->current = c->upgrade_v1;
  lictor_fixed_now_ms = 1861920000000LL; /* 2029-01-01 */
  CHECK(granted(rt, "reports", CONTAINER_1, "v1 signs") == 0, "signed by v1");
  CHECK(granted(rt, "reports", CONTAINER_1, "v1's session") == 1, "MAC'd under v1's session");
  CHECK_STR(header_kind(c), "sealed", "the sealed secret sent");
  char first_id[64], id[64];
  last_id(c, first_id);
  CHECK(granted(rt, "reports", CONTAINER_1, "v1's session, confirmed") == 1, "MAC'd, confirmed");
  CHECK_STR(header_kind(c), "id", "the id alone");
  /* The upgrade: the runtime signs once with v2 although the session is named. */
  c->current = c->upgrade_v2;
  c->sign_once = 1;
  CHECK(granted(rt, "reports", CONTAINER_1, "v2 signs") == 0, "signed by v2");
  CHECK_STR(header_kind(c), "id", "the session was named");
  lictor_fixed_now_ms = 2208988800000LL; /* 2040-01-01: v1 has expired, v2 has not */
  CHECK(granted(rt, "reports", CONTAINER_1, "MAC'd after v1 expired") == 1, "MAC'd and checked against v2");
  CHECK_STR(header_kind(c), "sealed", "the sealed secret sent again");
  last_id(c, id);
  CHECK_STR(id, first_id, "the same secret sealed");
  CHECK(granted(rt, "reports", CONTAINER_1, "MAC'd after v1 expired, again") == 1, "still MAC'd");
  CHECK_STR(header_kind(c), "id", "then the id alone");
  CHECK(c->held_count == 1, "one session");
  lictor_fixed_now_ms = 0;
  c->current = NULL;
  c->mac_sessions = 0;
  lictor_runtime_close(rt);
}

static void options(const char *public_key) {
  lictor_runtime *rt = NULL;
  lictor_error err;
  lictor_runtime_options o = {0};
  o.public_key = public_key;
  const char *not_loopback[] = {"http://example.com:8791", "https://127.0.0.1:8791", "http://10.0.0.1",
                                "http://127.0.0.1.example.com", "http://user@127.0.0.1", "ftp://127.0.0.1",
                                "http://127.0.0.1:99999", "http://128.0.0.1", "http://[::2]:8791"};
  for (size_t k = 0; k < sizeof not_loopback / sizeof *not_loopback; k++) {
    o.url = not_loopback[k];
    int rc = lictor_runtime_open(&o, &rt, &err);
    CHECK(rc == LICTOR_ERR_INVALID && rt == NULL, "%s is refused", not_loopback[k]);
  }
  const char *loopback[] = {"http://127.0.0.1:8791", "http://localhost:1/", "http://[::1]:8791", "HTTP://127.1.2.3"};
  for (size_t k = 0; k < sizeof loopback / sizeof *loopback; k++) {
    o.url = loopback[k];
    int rc = lictor_runtime_open(&o, &rt, &err);
    CHECK(rc == LICTOR_OK, "%s is accepted: %s", loopback[k], err.message);
    lictor_runtime_close(rt);
  }
  o.url = "http://127.0.0.1:8791/";
  lictor_runtime_open(&o, &rt, &err);
  CHECK_STR(lictor_runtime_endpoint(rt), "http://127.0.0.1:8791", "endpoint without the final slash");
  lictor_runtime_close(rt);
  o.url = NULL;
  o.public_key = "lictor-ed25519:tdqbx45aaxhcpfV5MwZ0q-aEQThgI_voX1aUThA0J0";
  CHECK(lictor_runtime_open(&o, &rt, &err) == LICTOR_ERR_INVALID && strcmp(err.code, "LICTOR_E_PUBLIC_KEY_INVALID") == 0,
        "a malformed vendor key");
  o.public_key = NULL;
  CHECK(lictor_runtime_open(&o, &rt, &err) == LICTOR_ERR_INVALID, "no vendor key");
  o.public_key = public_key;
  o.role = "admin";
  CHECK(lictor_runtime_open(&o, &rt, &err) == LICTOR_ERR_INVALID, "an unknown role");
  o.role = NULL;
  o.bitness = 16;
  CHECK(lictor_runtime_open(&o, &rt, &err) == LICTOR_ERR_INVALID, "an unknown bitness");
  o.bitness = 0;
  /* The environment names the runtime when the options do not. */
  setenv("LICTOR_RUNTIME_SOCKET", "/tmp/some/runtime.sock", 1);
  CHECK(lictor_runtime_open(&o, &rt, &err) == LICTOR_OK, "socket from the environment");
  CHECK_STR(lictor_runtime_endpoint(rt), "unix:/tmp/some/runtime.sock", "endpoint from LICTOR_RUNTIME_SOCKET");
  lictor_runtime_close(rt);
  unsetenv("LICTOR_RUNTIME_SOCKET");
  setenv("LICTOR_RUNTIME_URL", "http://127.0.0.1:9", 1);
  CHECK(lictor_runtime_open(&o, &rt, &err) == LICTOR_OK, "URL from the environment");
  CHECK_STR(lictor_runtime_endpoint(rt), "http://127.0.0.1:9", "endpoint from LICTOR_RUNTIME_URL");
  /* Nothing listens there: unreachable, not a crash. */
  lictor_grant *g = NULL;
  int rc = lictor_runtime_check(rt, "MINER", NULL, &g, &err);
  CHECK(rc == LICTOR_ERR_TRANSPORT && strcmp(err.code, "LICTOR_E_RUNTIME_UNREACHABLE") == 0, "unreachable: %s",
        err.code);
  lictor_runtime_close(rt);
  unsetenv("LICTOR_RUNTIME_URL");
  o.socket_path = "/nonexistent/lictor/runtime.sock";
  lictor_runtime_open(&o, &rt, &err);
  rc = lictor_runtime_check(rt, "MINER", NULL, &g, &err);
  CHECK(rc == LICTOR_ERR_TRANSPORT && strcmp(err.code, "LICTOR_E_RUNTIME_UNREACHABLE") == 0, "no socket: %s",
        err.code);
  CHECK(lictor_runtime_check(rt, NULL, NULL, &g, &err) == LICTOR_ERR_INVALID, "a product is needed");
  lictor_runtime_close(rt);
}

int main(void) {
  lictor_error err;
  if (lictor_crypto_ready(&err) != LICTOR_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  lj_value *v = load_vectors("vendor-key");
  const lj_value *keys = lj_get(v, "keys");
  uint8_t vendor[32], other_vendor[32];
  hex_decode(vstr(keys->items[0], "seedHex"), vendor, 32);
  hex_decode(vstr(keys->items[1], "seedHex"), other_vendor, 32);
  char *public_key = lictor_strdup(vstr(keys->items[0], "text"));
  lj_free(v);

  ctx c;
  memset(&c, 0, sizeof c);
  uint8_t seed[32], pk[32], other_pk[32];
  lictor_sha256("lictor/c-client-tests/container", 31, seed);
  crypto_sign_seed_keypair(pk, c.container_sk, seed);
  lictor_sha256("lictor/c-client-tests/another-container", 39, seed);
  crypto_sign_seed_keypair(other_pk, c.other_sk, seed);
  c.good = make_license(vendor, "\"2099-01-01T00:00:00.000Z\"", pk, CONTAINER_1);
  c.other_vendor = make_license(other_vendor, "\"2099-01-01T00:00:00.000Z\"", pk, CONTAINER_1);
  c.expired = make_license(vendor, "\"2020-01-01T00:00:00.000Z\"", pk, CONTAINER_1);
  c.no_keys = make_license(vendor, "null", NULL, CONTAINER_1);
  c.second = make_license(vendor, "\"2099-01-01T00:00:00.000Z\"", other_pk, CONTAINER_2);
  c.upgrade_v1 = make_license(vendor, "\"2030-01-01T00:00:00.000Z\"", pk, CONTAINER_1);
  c.upgrade_v2 = make_license(vendor, "\"2099-01-01T00:00:00.000Z\"", pk, CONTAINER_1);
  lj_value *sa = load_vectors("signed-answer");
  hex_decode(vstr(lj_get(sa, "container"), "boxScalarHex"), c.box_scalar, 32);
  lj_free(sa);
  lictor_license *lic = NULL;
  CHECK(lictor_license_open(c.good, strlen(c.good), public_key, &lic, &err) == LICTOR_OK, "the test license opens: %s",
        err.message);
  lictor_license_free(lic);

  fake_server *tcp = fake_start(0, handle, &c);
  lictor_runtime *rt = open_to(tcp, public_key);
  checks(rt, &c, public_key);
  sessions_and_seats(rt, &c);
  lictor_runtime_close(rt);
  answer_sessions(tcp, &c, public_key);
  upgrade(tcp, &c, public_key);
  fake_stop(tcp);

  fake_server *unix_server = fake_start(1, handle, &c);
  rt = open_to(unix_server, public_key);
  checks(rt, &c, public_key);
  sessions_and_seats(rt, &c);
  lictor_runtime_close(rt);
  answer_sessions(unix_server, &c, public_key);
  upgrade(unix_server, &c, public_key);
  CHECK(fake_requests(unix_server) > 20, "answered over the socket");
  fake_stop(unix_server);

  options(public_key);
  free(c.good);
  free(c.other_vendor);
  free(c.expired);
  free(c.no_keys);
  free(c.second);
  free(c.upgrade_v1);
  free(c.upgrade_v2);
  free(public_key);
  return test_report("test_fake_runtime");
}
