/*
 * Vendor keys and license files (docs/spec/license-file.md): armor, envelope, AES-256-GCM, the
 * document checks, the subject digest (format 2, then 1) and the vendor's Ed25519 signature over
 * the signed view rebuilt from the checked document. Checks run in the specification's order so
 * that a file is refused with the code the vectors give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define KEY_PREFIX "lictor-ed25519:"
#define MAX_ARMORED_UNITS 1048576
#define HEADER_LENGTH 42
#define SIGNATURE_LENGTH 64
#define TAG_LENGTH 16
#define BEGIN_LINE "-----BEGIN LICTOR LICENSE-----"
#define END_LINE "-----END LICTOR LICENSE-----"

#define FORMAT_ERROR(err, ...) lictor_fail(err, LICTOR_ERR_LICENSE, "LICTOR_E_FILE_FORMAT", __VA_ARGS__)

/* ---- the vendor key ---- */

int lictor_vendor_key_parse(const char *text, size_t len, lictor_vendor_key *key, lictor_error *err) {
  lictor_buf t = {0};
  size_t plen = strlen(KEY_PREFIX);
  uint8_t raw[36];
  lictor_js_trim(text == NULL ? "" : text, text == NULL ? 0 : len, &t);
  long n = -1;
  if (!t.oom && t.len > plen && memcmp(t.data, KEY_PREFIX, plen) == 0) {
    n = lictor_b64url_decode(t.data + plen, t.len - plen, raw, sizeof raw);
  }
  lictor_buf_free(&t);
  if (n != 32) {
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_PUBLIC_KEY_INVALID",
                       "the vendor public key must look like " KEY_PREFIX
                       "<43 base64url characters>; print it with 'lictor center public-key'");
  }
  memcpy(key->raw, raw, 32);
  uint8_t digest[32];
  lictor_sha256(raw, 32, digest);
  memcpy(key->key_id, digest, 8);
  return LICTOR_OK;
}

/* ---- armor ---- */

static const char *find(const char *hay, size_t hlen, size_t from, const char *needle) {
  size_t n = strlen(needle);
  if (from > hlen || hlen - from < n) return NULL;
  for (size_t i = from; i + n <= hlen; i++) {
    if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) return hay + i;
  }
  return NULL;
}

/* The kind of another `-----BEGIN LICTOR <KIND>-----` block, for the message; 0 when there is none. */
static int other_block(const char *text, size_t len, char *kind, size_t cap) {
  const char *open = "-----BEGIN LICTOR ";
  size_t from = 0;
  const char *at;
  while ((at = find(text, len, from, open)) != NULL) {
    size_t i = (size_t)(at - text) + strlen(open), start = i;
    while (i < len && ((text[i] >= 'A' && text[i] <= 'Z') || text[i] == ' ')) i++;
    if (i > start && len - i >= 5 && memcmp(text + i, "-----", 5) == 0) {
      size_t n = i - start < cap - 8 ? i - start : cap - 8;
      memcpy(kind, "LICTOR ", 7);
      memcpy(kind + 7, text + start, n);
      kind[7 + n] = '\0';
      return 1;
    }
    from = (size_t)(at - text) + 1;
  }
  return 0;
}

static int b64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '=';
}

/* One line of the block: leading white space and '>' removed, then all white space; 0, or -1 for another character. */
static int armor_line(const char *s, size_t len, lictor_buf *b64) {
  size_t i = 0;
  while (i < len) {
    size_t at = i;
    uint32_t cp = lictor_utf8_next(s, len, &i);
    if (cp != '>' && !lictor_js_space(cp)) {
      i = at;
      break;
    }
  }
  while (i < len) {
    size_t at = i;
    uint32_t cp = lictor_utf8_next(s, len, &i);
    if (lictor_js_space(cp)) continue;
    if (cp >= 0x80 || !b64_char(s[at])) return -1;
    lictor_buf_putc(b64, s[at]);
  }
  return 0;
}

/* The binary inside the armored license block: `*bytes` (malloc'ed) of `*n` bytes. */
static int dearmor(const char *text, size_t len, uint8_t **bytes, size_t *n, lictor_error *err) {
  *bytes = NULL;
  if (lictor_utf16_length(text, len) > MAX_ARMORED_UNITS) {
    return FORMAT_ERROR(err, "the text is longer than %d characters", MAX_ARMORED_UNITS);
  }
  const char *begin = find(text, len, 0, BEGIN_LINE);
  if (begin == NULL) {
    char kind[80];
    if (other_block(text, len, kind, sizeof kind)) {
      return FORMAT_ERROR(err, "this is a %s block, not a LICTOR LICENSE block", kind);
    }
    return FORMAT_ERROR(err, "no '" BEGIN_LINE "' line found: this is not a Lictor license file");
  }
  size_t body = (size_t)(begin - text) + strlen(BEGIN_LINE);
  const char *end = find(text, len, body, END_LINE);
  if (end == NULL) {
    return lictor_fail(err, LICTOR_ERR_LICENSE, "LICTOR_E_FILE_TRUNCATED",
                       "the '" END_LINE "' line is missing: the license file is truncated");
  }
  size_t stop = (size_t)(end - text);
  lictor_buf b64 = {0};
  size_t line_no = 1, i = body;
  for (;;) {
    size_t j = i;
    while (j < stop && text[j] != '\r' && text[j] != '\n') j++;
    if (armor_line(text + i, j - i, &b64) != 0) {
      lictor_buf_free(&b64);
      return FORMAT_ERROR(err, "unexpected characters in line %zu of the license block", line_no);
    }
    if (j >= stop) break;
    i = j + (text[j] == '\r' && j + 1 < stop && text[j + 1] == '\n' ? 2 : 1);
    line_no++;
  }
  if (b64.oom) {
    lictor_buf_free(&b64);
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  }
  size_t cap = b64.len / 4 * 3 + 3;
  uint8_t *out = malloc(cap);
  if (out == NULL) {
    lictor_buf_free(&b64);
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  }
  long got = lictor_b64_decode(b64.data == NULL ? "" : b64.data, b64.len, out, cap);
  lictor_buf_free(&b64);
  if (got < 0) {
    free(out);
    return FORMAT_ERROR(err, "the license block is not valid base64 (a character was changed)");
  }
  *bytes = out;
  *n = (size_t)got;
  return LICTOR_OK;
}

/* ---- envelope header ---- */

static int read_header(const char *text, size_t len, uint8_t **bytes, size_t *n, lictor_error *err) {
  int rc = dearmor(text, len, bytes, n, err);
  if (rc != LICTOR_OK) return rc;
  const uint8_t *b = *bytes;
  if (*n < HEADER_LENGTH + SIGNATURE_LENGTH + TAG_LENGTH) {
    if (*n >= 4 && memcmp(b, "LCTR", 4) != 0) rc = FORMAT_ERROR(err, "not a Lictor license file");
    else
      rc = lictor_fail(err, LICTOR_ERR_LICENSE, "LICTOR_E_FILE_TRUNCATED", "the license file is truncated (%zu bytes)",
                       *n);
  } else if (memcmp(b, "LCTR", 4) != 0) {
    rc = FORMAT_ERROR(err, "not a Lictor license file");
  } else if (b[4] != 1) {
    rc = lictor_fail(err, LICTOR_ERR_LICENSE, "LICTOR_E_FILE_VERSION",
                     "the license file has format version %u; this Lictor reads version 1: upgrade Lictor", b[4]);
  } else if (b[5] != 1) {
    rc = FORMAT_ERROR(err, "the block holds another kind of document, not a license");
  }
  if (rc != LICTOR_OK) {
    free(*bytes);
    *bytes = NULL;
  }
  return rc;
}

int lictor_envelope_key(const char *text, size_t length, const lictor_vendor_key *key, uint8_t aes_key[32],
                        uint8_t header[42]) {
  uint8_t *bytes;
  size_t n;
  if (read_header(text, length, &bytes, &n, NULL) != LICTOR_OK) return -1;
  memcpy(header, bytes, HEADER_LENGTH);
  lictor_hkdf32(key->raw, 32, bytes + 14, 16, "lictor/v1/license", aes_key);
  free(bytes);
  return 0;
}

/* ---- document checks (license.ts parseLicenseDocument) ---- */

typedef struct checker {
  lictor_error *err;
  int failed; /* the status of the first failure, 0 while none */
} checker;

static void bad(checker *c, const char *field, const char *what) {
  if (c->failed) return;
  c->failed = FORMAT_ERROR(c->err, "license file field '%s' %s", field, what);
}

static void out_of_memory(checker *c) {
  if (c->failed) return;
  c->failed = lictor_fail(c->err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
}

static int is_object(const lj_value *v) { return v != NULL && v->type == LJ_OBJECT; }

static lj_value *str(checker *c, const lj_value *v, const char *field, size_t max) {
  if (!lj_is_string(v) || lictor_utf16_length(v->str, v->len) > max) {
    bad(c, field, "must be a string");
    return NULL;
  }
  return lj_clone(v);
}

static lj_value *integer(checker *c, const lj_value *v, const char *field, double min) {
  if (!lj_is_safe_integer(v) || v->number < min) {
    char what[48];
    snprintf(what, sizeof what, "must be an integer \xE2\x89\xA5 %.0f", min);
    bad(c, field, what);
    return NULL;
  }
  return lj_new_number(v->number + 0.0); /* -0 becomes 0 */
}

static lj_value *nullable_int(checker *c, const lj_value *v, const char *field, double min) {
  if (v != NULL && v->type == LJ_NULL) return lj_new(LJ_NULL);
  return integer(c, v, field, min);
}

static int code_char(char ch, int first) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
         (!first && (ch == '_' || ch == '.' || ch == '-'));
}

static lj_value *product_code(checker *c, const lj_value *v, const char *field) {
  lj_value *s = str(c, v, field, 64);
  if (s == NULL) return NULL;
  int ok = s->len >= 1 && s->len <= 64;
  for (size_t i = 0; ok && i < s->len; i++) ok = code_char(s->str[i], i == 0);
  if (!ok) {
    bad(c, field, "must be a product or feature code");
    lj_free(s);
    return NULL;
  }
  return s;
}

static lj_value *instant(checker *c, const lj_value *v, const char *field) {
  lj_value *s = str(c, v, field, 40);
  long long ms;
  if (s != NULL && lictor_parse_instant(s->str, s->len, &ms) != 0) {
    bad(c, field, "must be an ISO 8601 UTC instant");
    lj_free(s);
    return NULL;
  }
  return s;
}

static lj_value *nullable_instant(checker *c, const lj_value *v, const char *field) {
  if (v != NULL && v->type == LJ_NULL) return lj_new(LJ_NULL);
  return instant(c, v, field);
}

/* Adds `value` under `key` unless a check failed (then frees it). */
static void put(checker *c, lj_value *obj, const char *key, lj_value *value) {
  if (value == NULL || lj_set(obj, key, value) != 0) out_of_memory(c);
}

static lj_value *entry(checker *c, const lj_value *e, size_t index) {
  char f[96];
#define FIELD(name) (snprintf(f, sizeof f, "licenses[%zu].%s", index, name), f)
  if (!is_object(e)) {
    snprintf(f, sizeof f, "licenses[%zu]", index);
    bad(c, f, "must be an object");
    return NULL;
  }
  const lj_value *type = lj_get(e, "type");
  if (!(lj_string_is(type, "single") || lj_string_is(type, "multi") || lj_string_is(type, "server") ||
        lj_string_is(type, "server-sessions"))) {
    bad(c, FIELD("type"), "is not a known license type");
    return NULL;
  }
  const lj_value *arch = lj_get(e, "arch");
  if (!(arch != NULL && (arch->type == LJ_NULL || lj_string_is(arch, "x86") || lj_string_is(arch, "x64")))) {
    bad(c, FIELD("arch"), "must be x86, x64 or null");
    return NULL;
  }
  const lj_value *features = lj_get(e, "features");
  if (features == NULL || features->type != LJ_ARRAY) {
    bad(c, FIELD("features"), "must be a list");
    return NULL;
  }
  lj_value *out = lj_new(LJ_OBJECT);
  if (out == NULL) return NULL;
  put(c, out, "product", product_code(c, lj_get(e, "product"), FIELD("product")));
  put(c, out, "type", lj_clone(type));
  put(c, out, "users", integer(c, lj_get(e, "users"), FIELD("users"), 1));
  put(c, out, "sessions", nullable_int(c, lj_get(e, "sessions"), FIELD("sessions"), 1));
  put(c, out, "arch", lj_clone(arch));
  put(c, out, "expiresAt", nullable_instant(c, lj_get(e, "expiresAt"), FIELD("expiresAt")));
  lj_value *list = lj_new(LJ_ARRAY);
  for (size_t k = 0; list != NULL && k < features->count && !c->failed; k++) {
    const lj_value *g = features->items[k];
    snprintf(f, sizeof f, "licenses[%zu].features[%zu]", index, k);
    if (!is_object(g)) {
      bad(c, f, "must be an object");
      break;
    }
    lj_value *grant = lj_new(LJ_OBJECT);
    snprintf(f, sizeof f, "licenses[%zu].features[%zu].code", index, k);
    put(c, grant, "code", str(c, lj_get(g, "code"), f, 64));
    snprintf(f, sizeof f, "licenses[%zu].features[%zu].users", index, k);
    put(c, grant, "users", nullable_int(c, lj_get(g, "users"), f, 1));
    if (grant == NULL || lj_push(list, grant) != 0) out_of_memory(c);
  }
  put(c, out, "features", list);
  /* The vendor's terms for borrowing and the grace period: signed with the entry, absent unless set. */
  static const struct {
    const char *name;
    double most;
  } terms[] = {{"borrowDays", 365}, {"graceMinutes", 7 * 24 * 60}};
  for (size_t t = 0; t < sizeof terms / sizeof terms[0] && !c->failed; t++) {
    const lj_value *v = lj_get(e, terms[t].name);
    if (v == NULL) continue;
    lj_value *n = integer(c, v, FIELD(terms[t].name), 1);
    if (n != NULL && n->number > terms[t].most) {
      char what[48];
      snprintf(what, sizeof what, "must be at most %.0f", terms[t].most);
      bad(c, FIELD(terms[t].name), what);
      lj_free(n);
      n = NULL;
    }
    if (n != NULL) put(c, out, terms[t].name, n);
  }
#undef FIELD
  if (c->failed) {
    lj_free(out);
    return NULL;
  }
  return out;
}

static int hw_string(const lj_value *hw, const char *key) {
  const lj_value *v = lj_get(hw, key);
  return lj_is_string(v) && lictor_utf16_length(v->str, v->len) <= 256;
}

static int hw_list(const lj_value *hw, const char *key) {
  const lj_value *v = lj_get(hw, key);
  if (v == NULL || v->type != LJ_ARRAY || v->count > 64) return 0;
  for (size_t k = 0; k < v->count; k++) {
    const lj_value *s = v->items[k];
    if (!lj_is_string(s) || lictor_utf16_length(s->str, s->len) > 256) return 0;
  }
  return 1;
}

/* isHardwareParams (hardware.ts). */
static int hardware_params(const lj_value *hw) {
  const lj_value *ram = lj_get(hw, "ramBytes");
  return is_object(hw) && hw_string(hw, "platform") && hw_string(hw, "osName") && hw_string(hw, "osVersion") &&
         hw_string(hw, "hostname") && hw_string(hw, "board") && hw_string(hw, "bios") && lj_is_safe_integer(ram) &&
         ram->number >= 0 && hw_list(hw, "cpus") && hw_list(hw, "nics") && hw_list(hw, "disks") &&
         (lj_get(hw, "osSerial") == NULL || hw_string(hw, "osSerial")) &&
         (lj_get(hw, "osInstallDate") == NULL || hw_string(hw, "osInstallDate"));
}

static lj_value *binding(checker *c, const lj_value *b) {
  if (!is_object(b)) {
    bad(c, "binding", "must be an object");
    return NULL;
  }
  const lj_value *kind = lj_get(b, "kind");
  lj_value *out = lj_new(LJ_OBJECT);
  if (out == NULL) return NULL;
  if (lj_string_is(kind, "hardware") && hardware_params(lj_get(b, "hardware"))) {
    put(c, out, "kind", lj_clone(kind));
    put(c, out, "hardware", lj_clone(lj_get(b, "hardware")));
  } else if (lj_string_is(kind, "token")) {
    const lj_value *t = lj_get(b, "token");
    if (!is_object(t)) {
      bad(c, "binding.token", "must be an object");
    } else {
      lj_value *token = lj_new(LJ_OBJECT);
      put(c, token, "manufacturer", str(c, lj_get(t, "manufacturer"), "binding.token.manufacturer", 64));
      put(c, token, "model", str(c, lj_get(t, "model"), "binding.token.model", 64));
      put(c, token, "serial", str(c, lj_get(t, "serial"), "binding.token.serial", 64));
      put(c, out, "kind", lj_clone(kind));
      put(c, out, "token", token);
      put(c, out, "publicKey", str(c, lj_get(b, "publicKey"), "binding.publicKey", 512));
    }
  } else {
    bad(c, "binding", "is neither a hardware nor a token binding");
  }
  if (c->failed) {
    lj_free(out);
    return NULL;
  }
  return out;
}

int lictor_license_check_document(const lj_value *d, lj_value **doc, lictor_error *err) {
  checker c = {err, 0};
  *doc = NULL;
  if (!is_object(d)) {
    bad(&c, "(root)", "must be an object");
    return c.failed;
  }
  const lj_value *format = lj_get(d, "format");
  if (!(format != NULL && format->type == LJ_NUMBER && format->number == 1)) {
    bad(&c, "format", "must be 1");
    return c.failed;
  }
  lj_value *out = lj_new(LJ_OBJECT);
  if (out == NULL) return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  lj_value *bound = binding(&c, lj_get(d, "binding"));
  const lj_value *owner = lj_get(d, "owner");
  if (!c.failed && !is_object(owner)) bad(&c, "owner", "must be an object");
  if (!c.failed) {
    size_t *idx = NULL, n = 0;
    if (lj_unique_members(owner, &idx, &n) != 0) out_of_memory(&c);
    for (size_t k = 0; k < n && !c.failed; k++) {
      const lj_value *v = owner->items[idx[k]];
      if (!lj_is_string(v) || lictor_utf16_length(v->str, v->len) > 256) bad(&c, "owner.<field>", "must be a string");
    }
    free(idx);
  }
  const lj_value *licenses = lj_get(d, "licenses");
  if (!c.failed && (licenses == NULL || licenses->type != LJ_ARRAY || licenses->count == 0)) {
    bad(&c, "licenses", "must be a non-empty list");
  }
  if (!c.failed && lj_get(d, "requestNonce") != NULL) {
    put(&c, out, "requestNonce", str(&c, lj_get(d, "requestNonce"), "requestNonce", 64));
  }
  const lj_value *policy = lj_get(d, "policy");
  if (!c.failed && policy != NULL) {
    if (lj_string_is(policy, "standard") || lj_string_is(policy, "software-dongle")) {
      put(&c, out, "policy", lj_clone(policy));
    } else {
      bad(&c, "policy", "is not a known policy");
    }
  }
  const lj_value *keys = lj_get(d, "containerKeys");
  if (!c.failed && keys != NULL) {
    if (!is_object(keys)) {
      bad(&c, "containerKeys", "must be an object");
    } else {
      lj_value *k = lj_new(LJ_OBJECT);
      put(&c, k, "sign", str(&c, lj_get(keys, "sign"), "containerKeys.sign", 64));
      put(&c, k, "box", str(&c, lj_get(keys, "box"), "containerKeys.box", 64));
      put(&c, out, "containerKeys", k);
    }
  }
  const lj_value *upgrade = lj_get(d, "upgrade");
  if (!c.failed && upgrade != NULL) {
    if (!is_object(upgrade)) {
      bad(&c, "upgrade", "must be an object");
    } else {
      lj_value *u = lj_new(LJ_OBJECT);
      put(&c, u, "nonce", str(&c, lj_get(upgrade, "nonce"), "upgrade.nonce", 64));
      put(&c, u, "fromCounter", integer(&c, lj_get(upgrade, "fromCounter"), "upgrade.fromCounter", 0));
      put(&c, u, "confirm", str(&c, lj_get(upgrade, "confirm"), "upgrade.confirm", 256));
      put(&c, out, "upgrade", u);
    }
  }
  if (!c.failed) {
    put(&c, out, "format", lj_new_number(1));
    put(&c, out, "containerId", str(&c, lj_get(d, "containerId"), "containerId", 64));
    put(&c, out, "activationId", str(&c, lj_get(d, "activationId"), "activationId", 64));
    put(&c, out, "serial", str(&c, lj_get(d, "serial"), "serial", 64));
    put(&c, out, "pin", integer(&c, lj_get(d, "pin"), "pin", 1));
    put(&c, out, "issuedAt", instant(&c, lj_get(d, "issuedAt"), "issuedAt"));
    put(&c, out, "counter", integer(&c, lj_get(d, "counter"), "counter", 0));
  }
  if (!c.failed) {
    put(&c, out, "owner", lj_clone(owner));
    put(&c, out, "binding", bound);
    bound = NULL;
    lj_value *list = lj_new(LJ_ARRAY);
    for (size_t k = 0; list != NULL && k < licenses->count && !c.failed; k++) {
      lj_value *e = entry(&c, licenses->items[k], k);
      if (e == NULL || lj_push(list, e) != 0) out_of_memory(&c); /* a no-op after a failed check */
    }
    put(&c, out, "licenses", list);
  }
  lj_free(bound);
  if (c.failed) {
    lj_free(out);
    return c.failed;
  }
  *doc = out;
  return LICTOR_OK;
}

/* ---- hardware normalization (hardware.ts normalizeHardware) ---- */

static lj_value *string_of(lictor_buf *b) {
  lj_value *v = b->oom ? NULL : lj_new_string(b->data == NULL ? "" : b->data, b->len);
  lictor_buf_free(b);
  return v;
}

static lj_value *clean(const lj_value *s) {
  lictor_buf b = {0};
  lictor_js_clean(s->str, s->len, &b);
  return string_of(&b);
}

/* ^(\d+)(?:\.(\d+))? of the cleaned version: "a.b" or "a"; other text as it is. */
static lj_value *major_minor(const lj_value *s) {
  lj_value *v = clean(s);
  if (v == NULL) return NULL;
  size_t i = 0;
  while (i < v->len && v->str[i] >= '0' && v->str[i] <= '9') i++;
  if (i == 0) return v;
  size_t end = i;
  if (i + 1 < v->len && v->str[i] == '.' && v->str[i + 1] >= '0' && v->str[i + 1] <= '9') {
    end = i + 1;
    while (end < v->len && v->str[end] >= '0' && v->str[end] <= '9') end++;
  }
  lj_value *out = lj_new_string(v->str, end);
  lj_free(v);
  return out;
}

static lj_value *hostname(const lj_value *s) {
  lj_value *c = clean(s);
  if (c == NULL) return NULL;
  lictor_buf b = {0};
  lictor_js_lower(c->str, c->len, &b);
  lj_free(c);
  return string_of(&b);
}

static lj_value *mac(const lj_value *s) {
  lictor_buf t = {0}, l = {0};
  lictor_js_trim(s->str, s->len, &t);
  lictor_js_lower(t.data == NULL ? "" : t.data, t.len, &l);
  lictor_buf_free(&t);
  for (size_t i = 0; i < l.len; i++) {
    if (l.data[i] == '-') l.data[i] = ':';
  }
  return string_of(&l);
}

static int utf16_sort(const void *a, const void *b) {
  const lj_value *x = *(lj_value *const *)a, *y = *(lj_value *const *)b;
  return lictor_utf16_compare(x->str, x->len, y->str, y->len);
}

/* map, drop empty strings, sort (UTF-16), and with `unique` drop repeats. */
static lj_value *list(const lj_value *src, lj_value *(*map)(const lj_value *), int unique) {
  lj_value *out = lj_new(LJ_ARRAY);
  if (out == NULL) return NULL;
  for (size_t k = 0; k < src->count; k++) {
    lj_value *v = map(src->items[k]);
    if (v == NULL) {
      lj_free(out);
      return NULL;
    }
    if (v->len == 0) {
      lj_free(v);
    } else if (lj_push(out, v) != 0) {
      lj_free(out);
      return NULL;
    }
  }
  if (out->count > 1) qsort(out->items, out->count, sizeof *out->items, utf16_sort);
  if (unique) {
    size_t n = 0;
    for (size_t k = 0; k < out->count; k++) {
      lj_value *v = out->items[k];
      if (n > 0 && out->items[n - 1]->len == v->len && memcmp(out->items[n - 1]->str, v->str, v->len) == 0) {
        lj_free(v);
      } else {
        out->items[n++] = v;
      }
    }
    out->count = n;
  }
  return out;
}

static lj_value *optional_clean(const lj_value *v) {
  if (!lj_is_string(v) || v->len == 0) return NULL;
  lj_value *c = clean(v);
  if (c != NULL && c->len == 0) {
    lj_free(c);
    return NULL;
  }
  return c;
}

lj_value *lictor_normalize_hardware(const lj_value *hw) {
  lj_value *out = lj_new(LJ_OBJECT);
  if (out == NULL) return NULL;
  const lj_value *ram = lj_get(hw, "ramBytes");
  int rc = lj_set(out, "platform", clean(lj_get(hw, "platform")));
  rc |= lj_set(out, "osName", clean(lj_get(hw, "osName")));
  rc |= lj_set(out, "osVersion", major_minor(lj_get(hw, "osVersion")));
  rc |= lj_set(out, "hostname", hostname(lj_get(hw, "hostname")));
  rc |= lj_set(out, "board", clean(lj_get(hw, "board")));
  rc |= lj_set(out, "ramBytes", lj_new_number(ram->number < 0 ? 0 : ram->number + 0.0));
  rc |= lj_set(out, "bios", clean(lj_get(hw, "bios")));
  rc |= lj_set(out, "cpus", list(lj_get(hw, "cpus"), clean, 0));
  rc |= lj_set(out, "nics", list(lj_get(hw, "nics"), mac, 1));
  rc |= lj_set(out, "disks", list(lj_get(hw, "disks"), clean, 1));
  const lj_value *serial = lj_get(hw, "osSerial"), *installed = lj_get(hw, "osInstallDate");
  lj_value *v;
  if ((v = optional_clean(serial)) != NULL) rc |= lj_set(out, "osSerial", v);
  if ((v = optional_clean(installed)) != NULL) rc |= lj_set(out, "osInstallDate", v);
  if (rc != 0) {
    lj_free(out);
    return NULL;
  }
  return out;
}

/* ---- subject digest, signed view, signing bytes (license-file.ts) ---- */

void lictor_license_steps_free(lictor_license_steps *s) {
  free(s->subject_private_json);
  free(s->subject_private);
  free(s->subject_json);
  free(s->subject);
  free(s->signed_view);
  lictor_buf_free(&s->signing_bytes);
  memset(s, 0, sizeof *s);
}

/* canonical(value) as a string (NULL when out of memory or not canonical); takes `value`. */
static char *canonical_text(lj_value *value) {
  lictor_buf b = {0};
  int rc = value == NULL ? -1 : lj_canonical(value, &b);
  lj_free(value);
  if (rc != 0 || lictor_buf_finish(&b) != 0) {
    lictor_buf_free(&b);
    return NULL;
  }
  return b.data;
}

/* base64url(SHA-256(label ‖ \0 ‖ text)[..n]). */
static char *labelled_digest(const char *label, const char *text, size_t n) {
  lictor_buf in = {0}, out = {0};
  uint8_t digest[32];
  lictor_buf_put(&in, label, strlen(label) + 1);
  lictor_buf_puts(&in, text);
  if (in.oom) {
    lictor_buf_free(&in);
    return NULL;
  }
  lictor_sha256(in.data, in.len, digest);
  lictor_buf_free(&in);
  lictor_b64url_encode(digest, n, &out);
  if (lictor_buf_finish(&out) != 0) {
    lictor_buf_free(&out);
    return NULL;
  }
  return out.data;
}

/* { owner, hardware: normalized } or { owner, token, publicKey } of a checked document. */
static lj_value *subject_base(const lj_value *doc) {
  const lj_value *b = lj_get(doc, "binding");
  lj_value *o = lj_new(LJ_OBJECT);
  int rc = lj_set(o, "owner", lj_clone(lj_get(doc, "owner")));
  if (lj_string_is(lj_get(b, "kind"), "hardware")) {
    rc |= lj_set(o, "hardware", lictor_normalize_hardware(lj_get(b, "hardware")));
  } else {
    rc |= lj_set(o, "token", lj_clone(lj_get(b, "token")));
    rc |= lj_set(o, "publicKey", lj_clone(lj_get(b, "publicKey")));
  }
  if (rc != 0) {
    lj_free(o);
    return NULL;
  }
  return o;
}

int lictor_license_steps_compute(const lj_value *doc, int format, const lictor_vendor_key *key,
                                 lictor_license_steps *s) {
  memset(s, 0, sizeof *s);
  const lj_value *keys = lj_get(doc, "containerKeys");
  int token = lj_string_is(lj_get(lj_get(doc, "binding"), "kind"), "token");
  if (format == 2) {
    if (keys == NULL) return -1;
    s->subject_private_json = canonical_text(subject_base(doc));
    if (s->subject_private_json == NULL) goto fail;
    s->subject_private = labelled_digest("lictor/v2/subject-private", s->subject_private_json, 32);
    if (s->subject_private == NULL) goto fail;
    lj_value *o = lj_new(LJ_OBJECT);
    int rc = lj_set(o, "containerKeys", lj_clone(keys));
    rc |= lj_set(o, "private", lj_new_string(s->subject_private, strlen(s->subject_private)));
    s->subject_json = rc == 0 ? canonical_text(o) : (lj_free(o), NULL);
    if (s->subject_json == NULL) goto fail;
    s->subject = labelled_digest("lictor/v2/subject", s->subject_json, 10);
  } else {
    lj_value *o = subject_base(doc);
    if (o != NULL && keys != NULL && lj_set(o, "containerKeys", lj_clone(keys)) != 0) {
      lj_free(o);
      o = NULL;
    }
    s->subject_json = canonical_text(o);
    if (s->subject_json == NULL) goto fail;
    s->subject = labelled_digest(token ? "lictor/v1/token-subject" : "lictor/v1/subject", s->subject_json, 10);
  }
  if (s->subject == NULL) goto fail;
  /* The view: the document without owner, binding and containerKeys, with binding { kind, subject }. */
  lj_value *view = lj_new(LJ_OBJECT);
  if (view == NULL) goto fail;
  int rc = 0;
  for (size_t k = 0; k < doc->count; k++) {
    const char *name = doc->keys[k];
    if (strcmp(name, "owner") == 0 || strcmp(name, "binding") == 0 || strcmp(name, "containerKeys") == 0) continue;
    rc |= lj_set(view, name, lj_clone(doc->items[k]));
  }
  lj_value *b = lj_new(LJ_OBJECT);
  rc |= lj_set(b, "kind", lj_clone(lj_get(lj_get(doc, "binding"), "kind")));
  rc |= lj_set(b, "subject", lj_new_string(s->subject, strlen(s->subject)));
  rc |= lj_set(view, "binding", b);
  s->signed_view = rc == 0 ? canonical_text(view) : (lj_free(view), NULL);
  if (s->signed_view == NULL) goto fail;
  lictor_buf_put(&s->signing_bytes, "lictor/v1/license", strlen("lictor/v1/license") + 1);
  lictor_buf_put(&s->signing_bytes, key->key_id, 8);
  lictor_buf_puts(&s->signing_bytes, s->signed_view);
  if (s->signing_bytes.oom) goto fail;
  return 0;
fail:
  lictor_license_steps_free(s);
  return -1;
}

/* ---- opening ---- */

typedef struct license_impl {
  lictor_license pub; /* first: a lictor_license * is a license_impl * */
  lj_value *doc;
  lictor_license_entry *entries;
  lictor_license_feature *features;
  char *document_json;
} license_impl;

void lictor_license_free(lictor_license *license) {
  if (license == NULL) return;
  license_impl *l = (license_impl *)license;
  lj_free(l->doc);
  free(l->entries);
  free(l->features);
  free(l->document_json);
  free(l);
}

const lj_value *lictor_license_document(const lictor_license *license) {
  return license == NULL ? NULL : ((const license_impl *)license)->doc;
}

static const char *text_of(const lj_value *v) { return lj_is_string(v) ? v->str : NULL; }

static long long int_of(const lj_value *v) {
  return lj_is_safe_integer(v) ? (long long)v->number : -1;
}

static license_impl *license_view(lj_value *doc, int format) {
  license_impl *l = calloc(1, sizeof *l);
  if (l == NULL) return NULL;
  l->doc = doc;
  const lj_value *entries = lj_get(doc, "licenses");
  size_t nfeatures = 0;
  for (size_t k = 0; k < entries->count; k++) nfeatures += lj_get(entries->items[k], "features")->count;
  l->entries = calloc(entries->count, sizeof *l->entries);
  l->features = calloc(nfeatures + 1, sizeof *l->features);
  l->document_json = canonical_text(lj_clone(doc));
  if (l->entries == NULL || l->features == NULL || l->document_json == NULL) {
    l->doc = NULL;
    lictor_license_free(&l->pub);
    return NULL;
  }
  size_t at = 0;
  for (size_t k = 0; k < entries->count; k++) {
    const lj_value *e = entries->items[k], *fs = lj_get(e, "features");
    lictor_license_entry *out = &l->entries[k];
    out->product = text_of(lj_get(e, "product"));
    out->type = text_of(lj_get(e, "type"));
    out->users = int_of(lj_get(e, "users"));
    out->sessions = int_of(lj_get(e, "sessions"));
    out->arch = text_of(lj_get(e, "arch"));
    out->expires_at = text_of(lj_get(e, "expiresAt"));
    out->features = &l->features[at];
    out->feature_count = fs->count;
    for (size_t j = 0; j < fs->count; j++, at++) {
      l->features[at].code = text_of(lj_get(fs->items[j], "code"));
      l->features[at].users = int_of(lj_get(fs->items[j], "users"));
    }
  }
  const lj_value *keys = lj_get(doc, "containerKeys");
  l->pub.container_id = text_of(lj_get(doc, "containerId"));
  l->pub.activation_id = text_of(lj_get(doc, "activationId"));
  l->pub.serial = text_of(lj_get(doc, "serial"));
  l->pub.issued_at = text_of(lj_get(doc, "issuedAt"));
  l->pub.pin = int_of(lj_get(doc, "pin"));
  l->pub.counter = int_of(lj_get(doc, "counter"));
  l->pub.binding_kind = text_of(lj_get(lj_get(doc, "binding"), "kind"));
  l->pub.policy = text_of(lj_get(doc, "policy"));
  l->pub.container_sign_key = text_of(lj_get(keys, "sign"));
  l->pub.container_box_key = text_of(lj_get(keys, "box"));
  l->pub.subject_format = format;
  l->pub.entry_count = entries->count;
  l->pub.entries = l->entries;
  l->pub.document_json = l->document_json;
  return l;
}

/* Whether the vendor signature verifies over the view of `format`; -1 when out of memory. */
static int verifies(const lj_value *doc, int format, const lictor_vendor_key *key, const uint8_t *signature) {
  lictor_license_steps s;
  if (lictor_license_steps_compute(doc, format, key, &s) != 0) return -1;
  int ok = lictor_ed25519_verify(key->raw, s.signing_bytes.data, s.signing_bytes.len, signature);
  lictor_license_steps_free(&s);
  return ok;
}

int lictor_license_open_key(const char *text, size_t length, const lictor_vendor_key *key, lictor_license **out,
                            lictor_error *err) {
  *out = NULL;
  int rc = lictor_crypto_ready(err);
  if (rc != LICTOR_OK) return rc;
  uint8_t *bytes;
  size_t n;
  rc = read_header(text, length, &bytes, &n, err);
  if (rc != LICTOR_OK) return rc;
  if (memcmp(bytes + 6, key->key_id, 8) != 0) {
    lictor_buf have = {0}, want = {0};
    lictor_hex_encode(bytes + 6, 8, &have);
    lictor_hex_encode(key->key_id, 8, &want);
    lictor_buf_finish(&have);
    lictor_buf_finish(&want);
    rc = lictor_fail(err, LICTOR_ERR_LICENSE, "LICTOR_E_WRONG_VENDOR",
                     "the license file was issued with vendor key %s, not with this application's key %s",
                     have.oom ? "?" : have.data, want.oom ? "?" : want.data);
    lictor_buf_free(&have);
    lictor_buf_free(&want);
    free(bytes);
    return rc;
  }
  uint8_t aes_key[32];
  lictor_hkdf32(key->raw, 32, bytes + 14, 16, "lictor/v1/license", aes_key);
  uint8_t *plain = malloc(n);
  long plain_len = plain == NULL ? -1
                                 : lictor_aes256gcm_open(aes_key, bytes + 30, bytes + HEADER_LENGTH, n - HEADER_LENGTH,
                                                         bytes, HEADER_LENGTH, plain);
  free(bytes);
  if (plain == NULL) return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  if (plain_len < 0) {
    free(plain);
    return lictor_fail(err, LICTOR_ERR_LICENSE, "LICTOR_E_FILE_TAMPERED",
                       "the license file was altered or corrupted; obtain it again");
  }
  /* The payload: strict UTF-8 (a leading BOM is dropped, as TextDecoder does), then JSON. */
  const char *payload = (const char *)plain + SIGNATURE_LENGTH;
  size_t payload_len = (size_t)plain_len - SIGNATURE_LENGTH;
  if (payload_len >= 3 && memcmp(payload, "\xEF\xBB\xBF", 3) == 0) {
    payload += 3;
    payload_len -= 3;
  }
  lj_value *parsed = lj_parse(payload, payload_len);
  if (parsed == NULL) {
    free(plain);
    return FORMAT_ERROR(err, "the license file's contents are not valid JSON");
  }
  lj_value *doc;
  rc = lictor_license_check_document(parsed, &doc, err);
  lj_free(parsed);
  if (rc != LICTOR_OK) {
    free(plain);
    return rc;
  }
  /* With container keys: the format 2 view, then format 1 (licenses issued before format 2). */
  int format = 0;
  for (int candidate = lj_get(doc, "containerKeys") != NULL ? 2 : 1; candidate >= 1 && format == 0; candidate--) {
    int ok = verifies(doc, candidate, key, plain);
    if (ok < 0) {
      free(plain);
      lj_free(doc);
      return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
    }
    if (ok) format = candidate;
  }
  free(plain);
  if (format == 0) {
    lj_free(doc);
    return lictor_fail(err, LICTOR_ERR_LICENSE, "LICTOR_E_SIGNATURE_INVALID",
                       "the license file is not signed by the vendor");
  }
  license_impl *l = license_view(doc, format);
  if (l == NULL) {
    lj_free(doc);
    return lictor_fail(err, LICTOR_ERR_INTERNAL, "LICTOR_E_INTERNAL", "out of memory");
  }
  *out = &l->pub;
  return LICTOR_OK;
}

int lictor_license_open(const char *text, size_t length, const char *public_key, lictor_license **out,
                        lictor_error *err) {
  lictor_error_clear(err);
  if (out == NULL || text == NULL || public_key == NULL) {
    if (out != NULL) *out = NULL;
    return lictor_fail(err, LICTOR_ERR_INVALID, "LICTOR_E_INVALID_INPUT",
                       "lictor_license_open needs a text, a public key and a place for the license");
  }
  *out = NULL;
  lictor_vendor_key key;
  int rc = lictor_vendor_key_parse(public_key, strlen(public_key), &key, err);
  if (rc != LICTOR_OK) return rc;
  return lictor_license_open_key(text, length, &key, out, err);
}

int lictor_license_covers(const lictor_license *license, const char *product, const char *feature,
                          long long now_ms) {
  const lj_value *doc = lictor_license_document(license);
  const lj_value *entries = lj_get(doc, "licenses");
  if (entries == NULL || product == NULL) return 0;
  for (size_t k = 0; k < entries->count; k++) {
    const lj_value *e = entries->items[k];
    if (!lj_string_is(lj_get(e, "product"), product)) continue;
    if (feature != NULL) {
      const lj_value *fs = lj_get(e, "features");
      int found = 0;
      for (size_t j = 0; fs != NULL && j < fs->count && !found; j++) found = lj_string_is(lj_get(fs->items[j], "code"), feature);
      if (!found) continue;
    }
    const lj_value *expires = lj_get(e, "expiresAt");
    long long ms;
    if (expires == NULL || expires->type == LJ_NULL) return 1;
    if (lj_is_string(expires) && lictor_parse_instant(expires->str, expires->len, &ms) == 0 && ms > now_ms) return 1;
  }
  return 0;
}
