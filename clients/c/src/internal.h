/* Internal interfaces of liblictor_runtime (not installed). */
#ifndef LICTOR_INTERNAL_H
#define LICTOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lictor_runtime.h"

#define LICTOR_HIDDEN __attribute__((visibility("hidden")))

/* ---- errors (error.c) ---- */

/** Fills `err` (if not NULL) and returns `status`. */
LICTOR_HIDDEN int lictor_fail(lictor_error *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
LICTOR_HIDDEN void lictor_error_clear(lictor_error *err);
LICTOR_HIDDEN char *lictor_strndup(const char *s, size_t n);
LICTOR_HIDDEN char *lictor_strdup(const char *s);

/* ---- growable byte buffer (error.c) ---- */

typedef struct lictor_buf {
  char *data;
  size_t len;
  size_t cap;
  int oom;
} lictor_buf;

LICTOR_HIDDEN void lictor_buf_put(lictor_buf *b, const void *data, size_t n);
LICTOR_HIDDEN void lictor_buf_puts(lictor_buf *b, const char *s);
LICTOR_HIDDEN void lictor_buf_putc(lictor_buf *b, char c);
/** NUL-terminates (not counted in len); returns 0, or -1 when out of memory. */
LICTOR_HIDDEN int lictor_buf_finish(lictor_buf *b);
LICTOR_HIDDEN void lictor_buf_free(lictor_buf *b);

/* ---- Unicode text as JavaScript sees it (text.c, unicode_tables.c) ---- */

typedef struct lictor_u32_pair {
  uint32_t a;
  uint32_t b;
} lictor_u32_pair;

extern const lictor_u32_pair lictor_lower_map[];
extern const size_t lictor_lower_map_count;
extern const lictor_u32_pair lictor_cased_ranges[];
extern const size_t lictor_cased_range_count;
extern const lictor_u32_pair lictor_case_ignorable_ranges[];
extern const size_t lictor_case_ignorable_range_count;

/** Whether `s` is strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
LICTOR_HIDDEN int lictor_utf8_valid(const char *s, size_t len);
/**
 * Decodes the code point at `*i` of WTF-8 text (UTF-8 that may hold lone surrogates, as the JSON
 * reader makes of `\udxxx`) and advances `*i`; an invalid byte is returned as itself + 0x110000.
 */
LICTOR_HIDDEN uint32_t lictor_utf8_next(const char *s, size_t len, size_t *i);
/** Appends `cp` as (W)UTF-8. */
LICTOR_HIDDEN void lictor_utf8_put(lictor_buf *b, uint32_t cp);
/** Length in UTF-16 code units, as JavaScript's String.length. */
LICTOR_HIDDEN size_t lictor_utf16_length(const char *s, size_t len);
/** Compares as JavaScript's `<` on strings (UTF-16 code units); <0, 0, >0. */
LICTOR_HIDDEN int lictor_utf16_compare(const char *a, size_t alen, const char *b, size_t blen);
/** JavaScript's `\s`: WhiteSpace and LineTerminator. */
LICTOR_HIDDEN int lictor_js_space(uint32_t cp);
/** `s.replace(/\s+/g, ' ').trim()`. */
LICTOR_HIDDEN void lictor_js_clean(const char *s, size_t len, lictor_buf *out);
/** `s.trim()`. */
LICTOR_HIDDEN void lictor_js_trim(const char *s, size_t len, lictor_buf *out);
/** `s.toLowerCase()` (locale-independent full mapping, final sigma included). */
LICTOR_HIDDEN void lictor_js_lower(const char *s, size_t len, lictor_buf *out);
/** `Date.parse` of an instant matching ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$; 0 or -1. */
LICTOR_HIDDEN int lictor_parse_instant(const char *s, size_t len, long long *ms);

/* ---- JSON with JavaScript's semantics, and canonical JSON (json.c) ---- */

typedef enum lj_type { LJ_NULL, LJ_FALSE, LJ_TRUE, LJ_NUMBER, LJ_STRING, LJ_ARRAY, LJ_OBJECT } lj_type;

typedef struct lj_value lj_value;
struct lj_value {
  lj_type type;
  double number;
  /** STRING: WTF-8 bytes, NUL-terminated (may also hold NUL bytes: use len). */
  char *str;
  size_t len;
  /** ARRAY: items; OBJECT: member values (duplicates kept, in order). */
  lj_value **items;
  size_t count;
  size_t cap;
  /** OBJECT: member keys (WTF-8) and their lengths. */
  char **keys;
  size_t *key_lens;
};

/**
 * Parses JSON as JavaScript's JSON.parse does (strict grammar, the last of duplicate keys
 * wins at lookup, numbers as the nearest double, lone surrogates kept as WTF-8). The input must
 * be strict UTF-8. Returns NULL for anything else (or when out of memory).
 */
LICTOR_HIDDEN lj_value *lj_parse(const char *text, size_t len);
LICTOR_HIDDEN void lj_free(lj_value *v);
/** The member `key` of an object (the last one of that name), NULL when absent or not an object. */
LICTOR_HIDDEN lj_value *lj_get(const lj_value *obj, const char *key);
LICTOR_HIDDEN int lj_is_string(const lj_value *v);
/** Whether `v` is a string equal to `s`. */
LICTOR_HIDDEN int lj_string_is(const lj_value *v, const char *s);
/** Whether `v` is a number that is a safe integer (|x| ≤ 2^53 − 1). */
LICTOR_HIDDEN int lj_is_safe_integer(const lj_value *v);

LICTOR_HIDDEN lj_value *lj_new(lj_type type);
LICTOR_HIDDEN lj_value *lj_new_string(const char *s, size_t len);
LICTOR_HIDDEN lj_value *lj_new_number(double x);
/** Appends `item` to an array (takes it); 0, or -1 (then `item` is freed). */
LICTOR_HIDDEN int lj_push(lj_value *arr, lj_value *item);
/** Adds a member to an object (takes `value`); 0, or -1 (then `value` is freed). */
LICTOR_HIDDEN int lj_set(lj_value *obj, const char *key, lj_value *value);
/** lj_set with a key of `klen` bytes (which may hold NUL). */
LICTOR_HIDDEN int lj_set_n(lj_value *obj, const char *key, size_t klen, lj_value *value);
/** A deep copy (duplicate keys copied as they are); NULL when out of memory. */
LICTOR_HIDDEN lj_value *lj_clone(const lj_value *v);

/**
 * The members of an object once duplicates are resolved (the last of each key), as indices into
 * `items`/`keys`, sorted by key in UTF-16 code unit order; `*indices` is freed by the caller.
 */
LICTOR_HIDDEN int lj_unique_members(const lj_value *obj, size_t **indices, size_t *count);
/**
 * Writes the canonical JSON of `v` (docs/spec/README.md, Canonical JSON). Returns 0, or -1 when
 * a value has no canonical form (a fraction, an integer beyond 2^53 − 1) or memory runs out.
 */
LICTOR_HIDDEN int lj_canonical(const lj_value *v, lictor_buf *out);
/** Appends a JSON string literal as JSON.stringify writes it. */
LICTOR_HIDDEN void lj_write_string(lictor_buf *out, const char *s, size_t len);

/* ---- encodings (encoding.c) ---- */

/** Strict base64url without padding (canonical); decoded length, or -1. `out` holds len*3/4+3. */
LICTOR_HIDDEN long lictor_b64url_decode(const char *text, size_t len, uint8_t *out, size_t cap);
LICTOR_HIDDEN void lictor_b64url_encode(const uint8_t *bytes, size_t len, lictor_buf *out);
/** Strict standard base64 with padding (canonical); decoded length, or -1. */
LICTOR_HIDDEN long lictor_b64_decode(const char *text, size_t len, uint8_t *out, size_t cap);
LICTOR_HIDDEN void lictor_hex_encode(const uint8_t *bytes, size_t len, lictor_buf *out);

/* ---- cryptography over libsodium (crypto.c) ---- */

/** sodium_init() and the AES-256-GCM check; 0, or -1 with `err` filled. */
LICTOR_HIDDEN int lictor_crypto_ready(lictor_error *err);
LICTOR_HIDDEN void lictor_sha256(const void *data, size_t len, uint8_t out[32]);
LICTOR_HIDDEN void lictor_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
                                      uint8_t out[32]);
/** HKDF-SHA256 (RFC 5869) of 32 bytes. */
LICTOR_HIDDEN void lictor_hkdf32(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                                 const char *info, uint8_t out[32]);
/** AES-256-GCM open of ciphertext ‖ 16-byte tag; plaintext length, or -1 when it does not open. */
LICTOR_HIDDEN long lictor_aes256gcm_open(const uint8_t key[32], const uint8_t iv[12], const uint8_t *sealed,
                                         size_t sealed_len, const uint8_t *aad, size_t aad_len, uint8_t *out);
/** Ed25519 verification; 1 when valid. */
LICTOR_HIDDEN int lictor_ed25519_verify(const uint8_t pk[32], const void *msg, size_t len, const uint8_t sig[64]);
/**
 * sealToContainer (docs/spec/remote-upgrade.md, "The secret sealed to the container"): X25519 with
 * a fresh key pair (`ephemeral` scalar, or NULL: random), HKDF-SHA256, AES-256-GCM (`iv`, or NULL:
 * random); appends base64url(E ‖ iv ‖ ciphertext ‖ tag) to `out`. 0, or -1 (no AES-256-GCM on this
 * processor, a low-order key, out of memory).
 */
LICTOR_HIDDEN int lictor_seal_to_container(const uint8_t box_pk[32], const uint8_t *secret, size_t secret_len,
                                           const char *context, const uint8_t *ephemeral, const uint8_t *iv,
                                           lictor_buf *out);
/** Opens a sealed secret with the container's X25519 scalar: its length in `out`, or -1. */
LICTOR_HIDDEN long lictor_open_sealed(const uint8_t box_sk[32], const char *text, size_t len, const char *context,
                                      uint8_t *out, size_t cap);
/** `n` random bytes from the OS CSPRNG. */
LICTOR_HIDDEN void lictor_random(uint8_t *out, size_t n);

/* ---- vendor keys and license files (license.c) ---- */

typedef struct lictor_vendor_key {
  uint8_t raw[32];
  uint8_t key_id[8];
} lictor_vendor_key;

/** Parses `lictor-ed25519:<base64url>` (white space around it trimmed); LICTOR_E_PUBLIC_KEY_INVALID. */
LICTOR_HIDDEN int lictor_vendor_key_parse(const char *text, size_t len, lictor_vendor_key *key, lictor_error *err);

/** Intermediate values of the subject digest and the signed view, for the tests. */
typedef struct lictor_license_steps {
  char *subject_private_json;
  char *subject_private;
  char *subject_json;
  char *subject;
  char *signed_view;
  lictor_buf signing_bytes;
} lictor_license_steps;

LICTOR_HIDDEN void lictor_license_steps_free(lictor_license_steps *steps);

/**
 * The document checks of a decrypted payload (`LICTOR_E_FILE_FORMAT`); on success `*doc` is the
 * checked document rebuilt (unknown members dropped).
 */
LICTOR_HIDDEN int lictor_license_check_document(const lj_value *payload, lj_value **doc, lictor_error *err);
/**
 * The subject digest of a checked document in `format` (2 needs container keys) and the signed
 * view and signing bytes under `key`; 0, or -1 (out of memory, or format 2 without keys).
 */
LICTOR_HIDDEN int lictor_license_steps_compute(const lj_value *doc, int format, const lictor_vendor_key *key,
                                               lictor_license_steps *steps);
/** lictor_license_open with a parsed key. */
LICTOR_HIDDEN int lictor_license_open_key(const char *text, size_t length, const lictor_vendor_key *key,
                                          lictor_license **out, lictor_error *err);
/** The checked document behind an opened license. */
LICTOR_HIDDEN const lj_value *lictor_license_document(const lictor_license *license);
/** The normalization of hardware parameters (docs/spec/license-file.md); NULL when out of memory. */
LICTOR_HIDDEN lj_value *lictor_normalize_hardware(const lj_value *hw);
/** The HKDF key and header of a sealed file, for the tests: 0, or -1 when it is not an envelope. */
LICTOR_HIDDEN int lictor_envelope_key(const char *text, size_t length, const lictor_vendor_key *key,
                                      uint8_t aes_key[32], uint8_t header[42]);

/* ---- signed answers (proof.c) ---- */

/** What a verified answer grants: the signed statement's answer, and the license that proved it. */
typedef struct lictor_verified {
  void *statement; /* cJSON *: the parsed `signed` statement (owns `answer`) */
  void *answer;    /* cJSON *: its `answer` member */
  lictor_license *license;
  /** 1: MAC'd within the answer session (then `license` is the session's); 0: signed. */
  int session_mac;
  /** 1: `license` is lent (by the session that keeps it), not freed with this. */
  int license_lent;
} lictor_verified;

/** The answer session a request named (header lictor-session): its secret and its license. */
typedef struct lictor_answer_session {
  const uint8_t *secret; /* 32 bytes */
  const lictor_license *license;
} lictor_answer_session;

/** Domain of the signed-answer bytes: "lictor/v1/signed-answer", then a NUL, then `signed`. */
#define LICTOR_ANSWER_DOMAIN "lictor/v1/signed-answer"
/** The context of a session secret sealed to a container. */
#define LICTOR_SESSION_CONTEXT "signed-answer-session"

/**
 * Verifies a granting answer of the runtime as verifyRuntimeAnswer does: `body` is the answer's
 * text and `answer_json` its parse (cJSON *), `nonce` the request's, `purpose` runtime-check,
 * runtime-session or lease, `session` the answer session the request named (NULL: none; an
 * answer MAC'd under it is accepted), `product` and `feature` (or NULL) what was asked, `now_ms`
 * the local clock. On success fills `out`; otherwise LICTOR_ERR_UNPROVEN with the reason.
 */
LICTOR_HIDDEN int lictor_verify_answer(const char *body, size_t body_len, const void *answer_json, const char *nonce,
                                       const char *purpose, const lictor_vendor_key *key,
                                       const lictor_answer_session *session, const char *product,
                                       const char *feature, long long now_ms, lictor_verified *out,
                                       lictor_error *err);
LICTOR_HIDDEN void lictor_verified_free(lictor_verified *v);
/** A fresh nonce: base64url of 32 random bytes (43 characters and a NUL). */
LICTOR_HIDDEN void lictor_new_nonce(char out[44]);
/** The local clock, milliseconds since 1970. */
LICTOR_HIDDEN long long lictor_now_ms(void);
/* For the tests (never exported): when not 0, lictor_now_ms answers this instead of the real clock. */
LICTOR_HIDDEN extern long long lictor_fixed_now_ms;

#endif
