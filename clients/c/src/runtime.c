/*
 * The runtime's operations over libcurl (docs/runtime.md): its Unix socket
 * (CURLOPT_UNIX_SOCKET_PATH) or loopback HTTP, JSON bodies, no Origin header, no proxy. Every
 * granting request carries a fresh nonce and its answer is verified (proof.c) before anything of
 * it is returned.
 *
 * Answer sessions (docs/spec/signed-answers.md, "Sessions with the runtime"), as RuntimeClient
 * (packages/runtime/src/client.ts) keeps them: after a verified signed answer of a check or a
 * session open, the handle seals a fresh 32-byte secret to that license's X25519 key
 * (`containerKeys.box`) and sends `lictor-session: <id>.<sealed>` with the next checks and
 * session opens of the same product and feature, until an answer comes MAC'd under it; then
 * `lictor-session: <id>`. A signed answer by the session's license means the runtime lost the
 * session (a restart): the sealed secret is sent again. A signed answer by another license starts
 * a session with that license. Seats never name a session.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "cJSON.h"
#include "internal.h"
#include "wire.h"

#define DEFAULT_URL "http://127.0.0.1:8791"
#define MAX_ANSWER_BYTES (4 * 1024 * 1024)

/* An answer session: a secret sealed to one license's container key. */
typedef struct answer_session {
  struct answer_session *next;
  lictor_license *license; /* verified; its container id names the session */
  uint8_t secret[32];
  char *header; /* "<id>.<sealed>"; `id_len` characters are the id */
  size_t id_len;
  int confirmed; /* the runtime answered with a MAC under it: send the id alone */
} answer_session;

/* The container of the license that last granted a product and feature (feature "" for none). */
typedef struct granting {
  struct granting *next;
  char *product;
  char *feature;
  char *container_id;
} granting;

struct lictor_runtime {
  lictor_vendor_key key;
  char *public_key;  /* canonical text form, sent with every request */
  char *socket_path; /* NULL: HTTP */
  char *base_url;    /* "http://localhost" over the socket */
  char *endpoint;
  char *role;
  int bitness;
  long timeout_ms;
  CURL *curl;
  int signatures_only;        /* LICTOR_PROOF_SIGNATURE: no answer sessions */
  answer_session *sessions;   /* by container */
  granting *granting;         /* by product and feature */
};

/* ---- opening ---- */

static int is_socket(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int ieq_prefix(const char *s, const char *prefix) {
  for (; *prefix != '\0'; s++, prefix++) {
    if (tolower((unsigned char)*s) != *prefix) return 0;
  }
  return 1;
}

/* 127.x.x.x in dotted decimal. */
static int loopback_ipv4(const char *h, size_t n) {
  int parts = 0;
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    int value = 0;
    while (i < n && isdigit((unsigned char)h[i]) && i - start < 3) value = value * 10 + (h[i++] - '0');
    if (i == start || value > 255 || (parts == 0 && value != 127)) return 0;
    parts++;
    if (i == n) break;
    if (h[i] != '.' || parts == 4) return 0;
    i++;
    if (i == n) return 0;
  }
  return parts == 4;
}

/* http://<loopback host>[:port][/path], without query, fragment or user; the base URL without a final '/'. */
static char *loopback_url(const char *url) {
  if (!ieq_prefix(url, "http://")) return NULL;
  const char *host = url + 7;
  size_t n = strcspn(host, ":/");
  if (host[0] == '[') n = strcspn(host, "]") + 1;
  if (!((n == 9 && strncmp(host, "localhost", 9) == 0) || (n == 5 && strncmp(host, "[::1]", 5) == 0) ||
        loopback_ipv4(host, n)))
    return NULL;
  const char *rest = host + n;
  if (*rest == ':') {
    rest++;
    size_t digits = strspn(rest, "0123456789");
    if (digits == 0 || digits > 5 || atol(rest) < 1 || atol(rest) > 65535) return NULL;
    rest += digits;
  }
  if (*rest != '\0' && *rest != '/') return NULL;
  if (strpbrk(rest, "?#@ \t\r\n") != NULL) return NULL;
  size_t len = strlen(url);
  while (len > 0 && url[len - 1] == '/') len--;
  return lictor_strndup(url, len);
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Where to send requests: the socket (set `*socket`) or a URL (set `*url`). */
static int resolve_endpoint(const lictor_runtime_options *o, char **socket, char **url, lictor_error *err) {
  const char *sock = NULL, *u = NULL;
  if (o->socket_path != NULL && o->socket_path[0] != '\0') {
    sock = o->socket_path;
  } else if (o->url != NULL && o->url[0] != '\0') {
    u = o->url;
  } else if ((sock = env("LICTOR_RUNTIME_SOCKET")) == NULL && (u = env("LICTOR_RUNTIME_URL")) == NULL) {
    const char *xdg = env("XDG_RUNTIME_DIR");
    lictor_buf path = {0};
    if (xdg != NULL) {
      lictor_buf_puts(&path, xdg);
      lictor_buf_puts(&path, "/lictor/runtime.sock");
    }
    if (xdg != NULL && lictor_buf_finish(&path) == 0 && is_socket(path.data)) {
      *socket = path.data;
      return LICTOR_OK;
    }
    lictor_buf_free(&path);
    if (is_socket("/run/lictor/runtime.sock")) {
      sock = "/run/lictor/runtime.sock";
    } else {
      u = DEFAULT_URL;
    }
  }
  if (sock != NULL) {
    *socket = lictor_strdup(sock);
    if (*socket == NULL) return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
    return LICTOR_OK;
  }
  *url = loopback_url(u);
  if (*url == NULL) {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT",
                       "the runtime's address must be loopback HTTP, e.g. " DEFAULT_URL ", not '%.200s'", u);
  }
  return LICTOR_OK;
}

int lictor_runtime_open(const lictor_runtime_options *options, lictor_runtime **out, lictor_error *err) {
  lictor_error_clear(err);
  if (out == NULL || options == NULL) {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT", "lictor_runtime_open needs options and out");
  }
  *out = NULL;
  if (options->role != NULL && strcmp(options->role, "client") != 0 && strcmp(options->role, "server") != 0) {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT", "role must be client or server");
  }
  if (options->bitness != 0 && options->bitness != 32 && options->bitness != 64) {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT", "bitness must be 32 or 64");
  }
  int rc = lictor_crypto_ready(err);
  if (rc != LICTOR_OK) return rc;
  lictor_runtime *rt = calloc(1, sizeof *rt);
  if (rt == NULL) return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  const char *pk = options->public_key == NULL ? "" : options->public_key;
  rc = lictor_vendor_key_parse(pk, strlen(pk), &rt->key, err);
  if (rc == LICTOR_OK) rc = resolve_endpoint(options, &rt->socket_path, &rt->base_url, err);
  if (rc != LICTOR_OK) {
    lictor_runtime_close(rt);
    return rc;
  }
  lictor_buf text = {0}, where = {0};
  lictor_buf_puts(&text, "lictor-ed25519:");
  lictor_b64url_encode(rt->key.raw, 32, &text);
  if (rt->socket_path != NULL) {
    lictor_buf_puts(&where, "unix:");
    lictor_buf_puts(&where, rt->socket_path);
    rt->base_url = lictor_strdup("http://localhost");
  } else {
    lictor_buf_puts(&where, rt->base_url);
  }
  rt->role = lictor_strdup(options->role);
  rt->bitness = options->bitness;
  rt->timeout_ms = options->timeout_ms > 0 ? options->timeout_ms : 10000;
  rt->curl = curl_easy_init();
  if (lictor_buf_finish(&text) != 0 || lictor_buf_finish(&where) != 0 || rt->base_url == NULL ||
      (options->role != NULL && rt->role == NULL) || rt->curl == NULL) {
    lictor_buf_free(&text);
    lictor_buf_free(&where);
    lictor_runtime_close(rt);
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory (or libcurl failed to start)");
  }
  rt->public_key = text.data;
  rt->endpoint = where.data;
  *out = rt;
  return LICTOR_OK;
}

static void forget_sessions(lictor_runtime *rt) {
  while (rt->sessions != NULL) {
    answer_session *s = rt->sessions;
    rt->sessions = s->next;
    sodium_memzero(s->secret, sizeof s->secret);
    lictor_license_free(s->license);
    free(s->header);
    free(s);
  }
  while (rt->granting != NULL) {
    granting *g = rt->granting;
    rt->granting = g->next;
    free(g->product);
    free(g->feature);
    free(g->container_id);
    free(g);
  }
}

int lictor_runtime_set_proof(lictor_runtime *rt, lictor_proof_mode mode, lictor_error *err) {
  lictor_error_clear(err);
  if (rt == NULL || (mode != LICTOR_PROOF_SESSION && mode != LICTOR_PROOF_SIGNATURE)) {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT",
                       "a handle and LICTOR_PROOF_SESSION or LICTOR_PROOF_SIGNATURE are needed");
  }
  rt->signatures_only = mode == LICTOR_PROOF_SIGNATURE;
  if (rt->signatures_only) forget_sessions(rt);
  return LICTOR_OK;
}

void lictor_runtime_close(lictor_runtime *rt) {
  if (rt == NULL) return;
  forget_sessions(rt);
  if (rt->curl != NULL) curl_easy_cleanup(rt->curl);
  free(rt->public_key);
  free(rt->socket_path);
  free(rt->base_url);
  free(rt->endpoint);
  free(rt->role);
  free(rt);
}

const char *lictor_runtime_endpoint(const lictor_runtime *rt) { return rt == NULL ? NULL : rt->endpoint; }

/* ---- HTTP ---- */

typedef struct answer {
  long status;
  lictor_buf body;
  int too_large;
} answer;

static size_t on_data(char *data, size_t size, size_t count, void *user) {
  answer *a = user;
  size_t n = size * count;
  if (a->body.len + n > MAX_ANSWER_BYTES) {
    a->too_large = 1;
    return 0;
  }
  lictor_buf_put(&a->body, data, n);
  return a->body.oom ? 0 : n;
}

/* Copies the error answer's `details` into err->details when it fits. */
static void keep_details(const cJSON *body, lictor_error *err) {
  const cJSON *details = lictor_member(body, "details");
  if (err == NULL || details == NULL) return;
  char *text = cJSON_PrintUnformatted(details);
  if (text != NULL && strlen(text) < sizeof err->details) strcpy(err->details, text);
  cJSON_free(text);
}

/*
 * Sends one request; on a 2xx answer sets `*json` to its parsed body (NULL when empty) and, with
 * `raw`, keeps its text there. `session` (`session_len` bytes), when not NULL, is sent as the
 * header lictor-session.
 * An error answer becomes LICTOR_ERR_REFUSED with its code and message.
 */
static int request(lictor_runtime *rt, const char *method, const char *path, const char *body, const char *session,
                   size_t session_len, cJSON **json, lictor_buf *raw, lictor_error *err) {
  *json = NULL;
  CURL *c = rt->curl;
  curl_easy_reset(c);
  lictor_buf url = {0};
  lictor_buf_puts(&url, rt->base_url);
  lictor_buf_puts(&url, path);
  if (lictor_buf_finish(&url) != 0) return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  struct curl_slist *headers = NULL, *h;
  h = curl_slist_append(headers, "accept: application/json");
  if (h != NULL) headers = h;
  h = curl_slist_append(headers, "expect:");
  if (h != NULL) headers = h;
  if (body != NULL) {
    h = curl_slist_append(headers, "content-type: application/json");
    if (h != NULL) headers = h;
  }
  if (session != NULL) {
    lictor_buf line = {0};
    lictor_buf_puts(&line, "lictor-session: ");
    lictor_buf_put(&line, session, session_len);
    h = lictor_buf_finish(&line) == 0 ? curl_slist_append(headers, line.data) : NULL;
    lictor_buf_free(&line);
    if (h == NULL) {
      curl_slist_free_all(headers);
      lictor_buf_free(&url);
      return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
    }
    headers = h;
  }
  answer a = {0};
  char curl_error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.data);
  if (rt->socket_path != NULL) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, rt->socket_path);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rt->timeout_ms);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
  if (body != NULL) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  CURLcode res = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  /* The handle keeps pointers to these until the next request: clear them first. */
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all(headers);
  lictor_buf_free(&url);
  int rc = LICTOR_OK;
  if (res != CURLE_OK) {
    if (a.too_large) {
      rc = lictor_fail(err, LICTOR_ERR_TRANSPORT, "LICTOR_E_INTERNAL", "the runtime's answer is larger than %d bytes",
                       MAX_ANSWER_BYTES);
    } else if (a.body.oom) {
      rc = lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
    } else {
      rc = lictor_fail(err, LICTOR_ERR_TRANSPORT, "LICTOR_E_RUNTIME_UNREACHABLE",
                       "the Lictor Runtime at %s does not answer: %s", rt->endpoint,
                       curl_error[0] != '\0' ? curl_error : curl_easy_strerror(res));
    }
    lictor_buf_free(&a.body);
    return rc;
  }
  cJSON *parsed = a.body.len == 0 ? NULL : cJSON_ParseWithLength(a.body.data, a.body.len);
  if (a.status >= 200 && a.status < 300) {
    *json = parsed;
    if (raw != NULL) {
      *raw = a.body; /* the caller frees it */
    } else {
      lictor_buf_free(&a.body);
    }
    return LICTOR_OK;
  }
  lictor_buf_free(&a.body);
  const char *code = lictor_member_string(parsed, "code");
  const char *message = lictor_member_string(parsed, "message");
  if (code != NULL && strncmp(code, "LICTOR_E_", 9) == 0 && message != NULL) {
    rc = lictor_fail(err, LICTOR_ERR_REFUSED, code, "%s", message);
    keep_details(parsed, err);
  } else {
    rc = lictor_fail(err, LICTOR_ERR_TRANSPORT, "LICTOR_E_INTERNAL",
                     "%s answered HTTP %ld without a Lictor error: is it a Lictor Runtime?", rt->endpoint, a.status);
  }
  if (err != NULL) err->http_status = (int)a.status;
  cJSON_Delete(parsed);
  return rc;
}

/* ---- requests ---- */

/* The application's fields of a licensing request and a fresh nonce. */
static cJSON *licensing_body(const lictor_runtime *rt, const char *product, const char *feature, int with_kind,
                             const char *nonce) {
  cJSON *b = cJSON_CreateObject();
  int ok = b != NULL && cJSON_AddStringToObject(b, "publicKey", rt->public_key) != NULL &&
           cJSON_AddStringToObject(b, "product", product) != NULL &&
           (feature == NULL || cJSON_AddStringToObject(b, "feature", feature) != NULL) &&
           cJSON_AddStringToObject(b, "nonce", nonce) != NULL;
  if (ok && with_kind && rt->role != NULL) ok = cJSON_AddStringToObject(b, "role", rt->role) != NULL;
  if (ok && with_kind && rt->bitness != 0) ok = cJSON_AddNumberToObject(b, "bitness", rt->bitness) != NULL;
  if (!ok) {
    cJSON_Delete(b);
    return NULL;
  }
  return b;
}

static int check_args(lictor_runtime *rt, const char *product, void *out, lictor_error *err) {
  lictor_error_clear(err);
  if (rt == NULL || out == NULL || product == NULL || product[0] == '\0') {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT", "a handle, a product and a result are needed");
  }
  return LICTOR_OK;
}

static granting *granting_of(const lictor_runtime *rt, const char *product, const char *feature) {
  for (granting *g = rt->granting; g != NULL; g = g->next) {
    if (strcmp(g->product, product) == 0 && strcmp(g->feature, feature == NULL ? "" : feature) == 0) return g;
  }
  return NULL;
}

static answer_session *session_of(const lictor_runtime *rt, const char *container_id) {
  for (answer_session *s = rt->sessions; s != NULL; s = s->next) {
    if (strcmp(s->license->container_id, container_id) == 0) return s;
  }
  return NULL;
}

/* The session with the license that granted `product` (`feature`) last, or NULL. */
static answer_session *session_for(const lictor_runtime *rt, const char *product, const char *feature) {
  if (rt->signatures_only) return NULL;
  const granting *g = granting_of(rt, product, feature);
  return g == NULL ? NULL : session_of(rt, g->container_id);
}

/*
 * A fresh secret sealed to the container key `box_key` (base64url), with its header
 * "<id>.<sealed>"; NULL when the key is not 32 bytes or out of memory. The caller sets `license`.
 */
static answer_session *new_session(const char *box_key) {
  uint8_t box[36];
  if (lictor_b64url_decode(box_key, strlen(box_key), box, sizeof box) != 32) return NULL;
  answer_session *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  lictor_random(s->secret, sizeof s->secret);
  lictor_buf sealed = {0}, header = {0};
  if (lictor_seal_to_container(box, s->secret, sizeof s->secret, LICTOR_SESSION_CONTEXT, NULL, NULL, &sealed) == 0 &&
      lictor_buf_finish(&sealed) == 0) {
    uint8_t digest[32];
    lictor_sha256(sealed.data, sealed.len, digest);
    lictor_b64url_encode(digest, 16, &header);
    s->id_len = header.len;
    lictor_buf_putc(&header, '.');
    lictor_buf_puts(&header, sealed.data);
  }
  lictor_buf_free(&sealed);
  if (s->id_len == 0 || lictor_buf_finish(&header) != 0) {
    lictor_buf_free(&header);
    sodium_memzero(s->secret, sizeof s->secret);
    free(s);
    return NULL;
  }
  s->header = header.data;
  return s;
}

/* Records `container_id` as the container that granted `product` (`feature`) last (out of memory: not recorded). */
static void remember_granting(lictor_runtime *rt, const char *product, const char *feature, const char *container_id) {
  granting *g = granting_of(rt, product, feature);
  if (g != NULL) {
    char *id = lictor_strdup(container_id);
    if (id != NULL) {
      free(g->container_id);
      g->container_id = id;
    }
    return;
  }
  g = calloc(1, sizeof *g);
  if (g == NULL) return;
  g->product = lictor_strdup(product);
  g->feature = lictor_strdup(feature == NULL ? "" : feature);
  g->container_id = lictor_strdup(container_id);
  if (g->product == NULL || g->feature == NULL || g->container_id == NULL) {
    free(g->product);
    free(g->feature);
    free(g->container_id);
    free(g);
    return;
  }
  g->next = rt->granting;
  rt->granting = g;
}

/*
 * After a verified signed answer of `v->license` (lent to, or taken by, a session): the session of
 * its container takes that license in place of the one it held (a remote upgrade: same container
 * and keys, new text, e.g. a later expiry; MAC'd answers are checked against the newest), or a new
 * session with it (a secret sealed to its box key); and that license as the one granting `product`
 * (`feature`). Out of memory or a license without a box key: no session, signatures go on.
 */
static void after_signed(lictor_runtime *rt, const char *product, const char *feature, answer_session *named,
                         lictor_verified *v) {
  const lictor_license *lic = v->license;
  /*
   * Signed by the session's license: the runtime does not hold the session (a restart) or its
   * license changed (an upgrade, signed once): send it sealed again.
   */
  if (named != NULL && strcmp(named->license->container_id, lic->container_id) == 0) named->confirmed = 0;
  answer_session *held = session_of(rt, lic->container_id);
  if (held != NULL) {
    /* The secret, the id and the sealed text stay: an upgrade keeps the container's keys. */
    lictor_license_free(held->license);
    held->license = v->license; /* the session keeps the license; the answer lends it */
    v->license_lent = 1;
  } else if (lic->container_box_key != NULL) {
    answer_session *s = new_session(lic->container_box_key);
    if (s != NULL) {
      s->license = v->license; /* the session keeps the license; the answer lends it */
      v->license_lent = 1;
      s->next = rt->sessions;
      rt->sessions = s;
    }
  }
  remember_granting(rt, product, feature, lic->container_id);
}

/*
 * Sends a granting request and verifies its answer; `*v` holds the signed statement, `*outer` the
 * answer. Checks and session opens (`sessions`) name the answer session of the license that
 * granted the same product and feature last, and open one after a signed answer.
 */
static int grant_request(lictor_runtime *rt, const char *path, cJSON *body, const char *nonce, const char *purpose,
                         const char *product, const char *feature, int sessions, cJSON **outer, lictor_verified *v,
                         lictor_error *err) {
  *outer = NULL;
  char *text = body == NULL ? NULL : cJSON_PrintUnformatted(body);
  cJSON_Delete(body);
  if (text == NULL || nonce[0] == '\0') {
    cJSON_free(text);
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  }
  answer_session *named = sessions ? session_for(rt, product, feature) : NULL;
  cJSON *json;
  lictor_buf raw = {0};
  const char *header = NULL; /* "<id>.<sealed>" until the runtime has confirmed the session, then "<id>" */
  size_t header_len = 0;
  if (named != NULL) {
    header = named->header;
    header_len = named->confirmed ? named->id_len : strlen(named->header);
  }
  int rc = request(rt, "POST", path, text, header, header_len, &json, &raw, err);
  cJSON_free(text);
  if (rc != LICTOR_OK) return rc;
  lictor_answer_session session = {0};
  if (named != NULL) {
    session.secret = named->secret;
    session.license = named->license;
  }
  rc = lictor_verify_answer(raw.data == NULL ? "" : raw.data, raw.len, json, nonce, purpose, &rt->key,
                            named == NULL ? NULL : &session, product, feature, lictor_now_ms(), v, err);
  lictor_buf_free(&raw);
  if (rc != LICTOR_OK) {
    cJSON_Delete(json);
    return rc;
  }
  if (v->session_mac) {
    named->confirmed = 1;
  } else if (sessions && !rt->signatures_only) {
    after_signed(rt, product, feature, named, v);
  }
  *outer = json;
  return LICTOR_OK;
}

/* A verified answer without the fields of its kind. */
static int answer_malformed(lictor_error *err, const char *what) {
  lictor_fail(err, LICTOR_ERR_UNPROVEN, "LICTOR_E_ANSWER_UNPROVEN", "the signed answer %s", what);
  if (err != NULL) strcpy(err->reason, "malformed");
  return LICTOR_ERR_UNPROVEN;
}

int lictor_runtime_check(lictor_runtime *rt, const char *product, const char *feature, lictor_grant **out,
                         lictor_error *err) {
  int rc = check_args(rt, product, out, err);
  if (rc != LICTOR_OK) return rc;
  *out = NULL;
  char nonce[44];
  lictor_new_nonce(nonce);
  cJSON *outer;
  lictor_verified v;
  rc = grant_request(rt, "/v1/check", licensing_body(rt, product, feature, 1, nonce), nonce, "runtime-check", product,
                     feature, 1, &outer, &v, err);
  if (rc != LICTOR_OK) return rc;
  cJSON_Delete(outer);
  const cJSON *a = v.answer;
  lictor_grant *g = calloc(1, sizeof *g);
  if (g == NULL) {
    rc = lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  } else {
    int bad = lictor_copy_string(a, "product", 0, &g->product) | lictor_copy_string(a, "feature", 1, &g->feature) |
              lictor_copy_string(a, "serial", 0, &g->serial) | lictor_copy_string(a, "licenseId", 0, &g->license_id) |
              lictor_copy_string(a, "type", 0, &g->type) | lictor_copy_integer(a, "users", 1, -1, &g->users) |
              lictor_copy_string(a, "expiresAt", 1, &g->expires_at) | lictor_copy_string(a, "file", 0, &g->file);
    g->container_id = lictor_strdup(v.license->container_id);
    g->session_mac = v.session_mac;
    if (bad || g->container_id == NULL) rc = answer_malformed(err, "is not the runtime's check answer");
  }
  lictor_verified_free(&v);
  if (rc != LICTOR_OK) {
    lictor_grant_free(g);
    return rc;
  }
  *out = g;
  return LICTOR_OK;
}

void lictor_grant_free(lictor_grant *g) {
  if (g == NULL) return;
  free(g->product);
  free(g->feature);
  free(g->serial);
  free(g->license_id);
  free(g->type);
  free(g->expires_at);
  free(g->file);
  free(g->container_id);
  free(g);
}

int lictor_runtime_open_session(lictor_runtime *rt, const char *product, const char *feature, const char *os_session,
                                lictor_session **out, lictor_error *err) {
  int rc = check_args(rt, product, out, err);
  if (rc != LICTOR_OK) return rc;
  *out = NULL;
  char nonce[44];
  lictor_new_nonce(nonce);
  long long pid = (long long)getpid();
  cJSON *body = licensing_body(rt, product, feature, 1, nonce);
  if (body != NULL && (cJSON_AddNumberToObject(body, "pid", (double)pid) == NULL ||
                       (os_session != NULL && cJSON_AddStringToObject(body, "osSession", os_session) == NULL))) {
    cJSON_Delete(body);
    body = NULL;
  }
  cJSON *outer;
  lictor_verified v;
  rc = grant_request(rt, "/v1/sessions", body, nonce, "runtime-session", product, feature, 1, &outer, &v, err);
  if (rc != LICTOR_OK) return rc;
  cJSON_Delete(outer);
  const cJSON *a = v.answer;
  lictor_session *s = calloc(1, sizeof *s);
  if (s == NULL) {
    rc = lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  } else {
    int bad = lictor_copy_string(a, "id", 0, &s->id) | lictor_copy_string(a, "product", 0, &s->product) |
              lictor_copy_string(a, "feature", 1, &s->feature) | lictor_copy_string(a, "serial", 0, &s->serial) |
              lictor_copy_string(a, "licenseId", 0, &s->license_id) |
              lictor_copy_string(a, "licenseFile", 0, &s->license_file) |
              lictor_copy_integer(a, "pid", 0, -1, &s->pid) | lictor_copy_string(a, "osSession", 0, &s->os_session) |
              lictor_copy_string(a, "openedAt", 0, &s->opened_at);
    s->container_id = lictor_strdup(v.license->container_id);
    s->session_mac = v.session_mac;
    if (bad || s->container_id == NULL) {
      rc = answer_malformed(err, "is not the runtime's session answer");
    } else if (s->pid != pid) {
      rc = answer_malformed(err, "opened a session for another process");
    }
  }
  lictor_verified_free(&v);
  if (rc != LICTOR_OK) {
    lictor_session_free(s);
    return rc;
  }
  *out = s;
  return LICTOR_OK;
}

/* DELETE <collection>/<id>: 2xx, or the runtime's refusal. */
static int delete_item(lictor_runtime *rt, const char *collection, const char *id, lictor_error *err) {
  lictor_error_clear(err);
  if (rt == NULL || id == NULL || id[0] == '\0') {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT", "a handle and an id are needed");
  }
  char *escaped = curl_easy_escape(rt->curl, id, 0);
  lictor_buf path = {0};
  lictor_buf_puts(&path, collection);
  lictor_buf_puts(&path, escaped == NULL ? "" : escaped);
  curl_free(escaped);
  if (escaped == NULL || lictor_buf_finish(&path) != 0) {
    lictor_buf_free(&path);
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  }
  cJSON *json;
  int rc = request(rt, "DELETE", path.data, NULL, NULL, 0, &json, NULL, err);
  lictor_buf_free(&path);
  cJSON_Delete(json);
  return rc;
}

int lictor_runtime_close_session(lictor_runtime *rt, const char *id, lictor_error *err) {
  return delete_item(rt, "/v1/sessions/", id, err);
}

void lictor_session_free(lictor_session *s) {
  if (s == NULL) return;
  free(s->id);
  free(s->product);
  free(s->feature);
  free(s->serial);
  free(s->license_id);
  free(s->license_file);
  free(s->os_session);
  free(s->opened_at);
  free(s->container_id);
  free(s);
}

int lictor_runtime_take_seat(lictor_runtime *rt, const char *product, const char *feature,
                             const char *const *managers, int bind_to_process, lictor_seat **out, lictor_error *err) {
  int rc = check_args(rt, product, out, err);
  if (rc != LICTOR_OK) return rc;
  *out = NULL;
  char nonce[44];
  lictor_new_nonce(nonce);
  long long pid = (long long)getpid();
  cJSON *body = licensing_body(rt, product, feature, 0, nonce);
  if (body != NULL && managers != NULL && managers[0] != NULL) {
    cJSON *list = cJSON_AddArrayToObject(body, "managers");
    for (const char *const *m = managers; list != NULL && *m != NULL; m++) {
      cJSON *item = cJSON_CreateString(*m);
      if (item == NULL || !cJSON_AddItemToArray(list, item)) {
        cJSON_Delete(item);
        list = NULL;
      }
    }
    if (list == NULL) {
      cJSON_Delete(body);
      body = NULL;
    }
  }
  if (body != NULL && bind_to_process && cJSON_AddNumberToObject(body, "pid", (double)pid) == NULL) {
    cJSON_Delete(body);
    body = NULL;
  }
  /* The License Manager's signature of its lease answer { lease, renewed }, forwarded by the runtime. */
  cJSON *outer;
  lictor_verified v;
  rc = grant_request(rt, "/v1/seats", body, nonce, "lease", product, feature, 0, &outer, &v, err);
  if (rc != LICTOR_OK) return rc;
  const cJSON *lease = lictor_member(v.answer, "lease");
  lictor_seat *s = calloc(1, sizeof *s);
  if (s == NULL) {
    rc = lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  } else {
    /* The grant from the signed lease; the runtime's handle of it (where, for whom) from its answer. */
    int bad = lictor_copy_string(lease, "id", 0, &s->lease_id) | lictor_copy_string(lease, "product", 0, &s->product) |
              lictor_copy_string(lease, "feature", 1, &s->feature) |
              lictor_copy_string(lease, "expiresAt", 0, &s->expires_at) |
              lictor_copy_integer(lease, "heartbeatIntervalMs", 0, -1, &s->heartbeat_interval_ms) |
              lictor_copy_string(outer, "id", 0, &s->id) | lictor_copy_string(outer, "manager", 0, &s->manager) |
              lictor_copy_string(outer, "state", 0, &s->state) | lictor_copy_integer(outer, "pid", 1, -1, &s->pid);
    s->container_id = lictor_strdup(v.license->container_id);
    if (bad || s->container_id == NULL) {
      rc = answer_malformed(err, "is not the License Manager's lease answer");
    } else if (bind_to_process && s->pid != pid) {
      rc = answer_malformed(err, "holds the seat for another process");
    }
  }
  cJSON_Delete(outer);
  lictor_verified_free(&v);
  if (rc != LICTOR_OK) {
    lictor_seat_free(s);
    return rc;
  }
  *out = s;
  return LICTOR_OK;
}

int lictor_runtime_release_seat(lictor_runtime *rt, const char *id, lictor_error *err) {
  return delete_item(rt, "/v1/seats/", id, err);
}

void lictor_seat_free(lictor_seat *s) {
  if (s == NULL) return;
  free(s->id);
  free(s->lease_id);
  free(s->product);
  free(s->feature);
  free(s->manager);
  free(s->state);
  free(s->expires_at);
  free(s->container_id);
  free(s);
}

int lictor_runtime_get_status(lictor_runtime *rt, lictor_runtime_status **out, lictor_error *err) {
  lictor_error_clear(err);
  if (rt == NULL || out == NULL) {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT", "a handle and a result are needed");
  }
  *out = NULL;
  cJSON *json;
  int rc = request(rt, "GET", "/v1/status", NULL, NULL, 0, &json, NULL, err);
  if (rc != LICTOR_OK) return rc;
  lictor_runtime_status *s = calloc(1, sizeof *s);
  const cJSON *runtime = lictor_member(json, "runtime");
  if (s == NULL) {
    rc = lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  } else if (lictor_copy_string(runtime, "id", 0, &s->runtime_id) |
             lictor_copy_string(runtime, "version", 0, &s->version) |
             lictor_copy_string(runtime, "startedAt", 0, &s->started_at) |
             lictor_copy_integer(lictor_member(json, "sessions"), "count", 0, -1, &s->sessions) |
             lictor_copy_integer(lictor_member(json, "sessions"), "processes", 0, -1, &s->processes) |
             lictor_copy_integer(lictor_member(json, "seats"), "count", 0, -1, &s->seats)) {
    rc = lictor_fail(err, LICTOR_ERR_TRANSPORT, "LICTOR_E_INTERNAL", "%s answered a status that is not the runtime's",
                     rt->endpoint);
  } else if ((s->json = cJSON_PrintUnformatted(json)) == NULL) {
    rc = lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  }
  cJSON_Delete(json);
  if (rc != LICTOR_OK) {
    lictor_runtime_status_free(s);
    return rc;
  }
  *out = s;
  return LICTOR_OK;
}

void lictor_runtime_status_free(lictor_runtime_status *s) {
  if (s == NULL) return;
  free(s->runtime_id);
  free(s->version);
  free(s->started_at);
  cJSON_free(s->json);
  free(s);
}
