/*
 * lictor_runtime: the C client of the Lictor Runtime (`lictor runtime serve`).
 *
 * An application embeds its vendor's public key (`lictor-ed25519:…`) and asks the runtime of its
 * computer, over the runtime's Unix socket or loopback HTTP, whether a product (feature) is
 * licensed, opens a session, takes a floating seat. Every granting answer carries a proof that
 * this library verifies before it returns anything: the license sent with it opens with the
 * vendor key, covers what was asked and is not expired, its container key signed the answer, and
 * the signed statement names the nonce this library drew for the request. An answer that fails
 * any of these is refused with LICTOR_E_ANSWER_UNPROVEN (status LICTOR_ERR_UNPROVEN).
 *
 * Answer sessions (on by default, lictor_runtime_set_proof): after the first verified signed
 * answer of a license, a handle seals a fresh 32-byte secret to that license's X25519 key and
 * sends it with its next checks and session opens (header lictor-session); the runtime, which
 * alone can open it with the container's private key, then proves its answers with
 * HMAC-SHA256 under that secret over the same statement (fresh nonce included) instead of an
 * Ed25519 signature. Such an answer is verified as strictly (nonce, purpose, container,
 * coverage by the session's license); a runtime that lost the session signs again.
 *
 * Conventions:
 * - Every function returns LICTOR_OK (0) or one of the LICTOR_ERR_* statuses, and fills the
 *   lictor_error the caller passes (which may be NULL) with the Lictor code and message.
 * - Results are owned by the caller and freed with their _free function (NULL is accepted).
 * - Strings are UTF-8 and NUL-terminated. No global state: a handle is used by one thread at a
 *   time; several handles may be used by several threads (call curl_global_init() once at start
 *   when threads are involved, as libcurl asks).
 */
#ifndef LICTOR_RUNTIME_H
#define LICTOR_RUNTIME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define LICTOR_API
#elif defined(__GNUC__)
#define LICTOR_API __attribute__((visibility("default")))
#else
#define LICTOR_API
#endif

#define LICTOR_RUNTIME_VERSION "0.1.0"

/** What a function returns; the same value is in lictor_error.status. */
typedef enum lictor_status_code {
  LICTOR_OK = 0,
  /** The runtime refused with a Lictor code (not licensed, expired, sessions exhausted, …). */
  LICTOR_ERR_REFUSED = 1,
  /** A granting answer without a valid proof (LICTOR_E_ANSWER_UNPROVEN; lictor_error.reason says why). */
  LICTOR_ERR_UNPROVEN = 2,
  /** Nothing answered (LICTOR_E_RUNTIME_UNREACHABLE), or the runtime's answer was not one it sends. */
  LICTOR_ERR_TRANSPORT = 3,
  /** A bad argument or option (LICTOR_E_INVALID_INPUT, LICTOR_E_PUBLIC_KEY_INVALID). */
  LICTOR_ERR_INVALID = 4,
  /** A license file does not open (lictor_license_open: LICTOR_E_FILE_*, WRONG_VENDOR, SIGNATURE_INVALID). */
  LICTOR_ERR_LICENSE = 5,
  /** Out of memory, or a facility missing on this computer (LICTOR_E_INTERNAL). */
  LICTOR_ERR_INTERNAL = 6
} lictor_status_code;

/** Why a call failed. Fixed size: nothing to free. */
typedef struct lictor_error {
  /** The status the function returned. */
  int status;
  /** The HTTP status of the runtime's answer, 0 when there was none. */
  int http_status;
  /** The Lictor error code, e.g. "LICTOR_E_NOT_LICENSED" (see docs/errors.md). */
  char code[64];
  /** What happened, for a person (truncated to fit). */
  char message[1024];
  /** LICTOR_E_ANSWER_UNPROVEN: missing, malformed, license, no-key, signature or not-covered; else "". */
  char reason[32];
  /** The error answer's `details` as JSON text, "" when absent or longer than this buffer. */
  char details[2048];
} lictor_error;

/** An opened connection to the runtime (opaque). */
typedef struct lictor_runtime lictor_runtime;

/** How to reach the runtime and who asks. Zero-initialize and fill what you need. */
typedef struct lictor_runtime_options {
  /** Required: the vendor public key the application embeds, "lictor-ed25519:<43 characters>". */
  const char *public_key;
  /**
   * The runtime's Unix socket. NULL: the `url` option, else $LICTOR_RUNTIME_SOCKET, else
   * $LICTOR_RUNTIME_URL, else $XDG_RUNTIME_DIR/lictor/runtime.sock or /run/lictor/runtime.sock
   * when that file exists, else http://127.0.0.1:8791.
   */
  const char *socket_path;
  /** Loopback HTTP address of the runtime, e.g. "http://127.0.0.1:8791" (only loopback hosts). */
  const char *url;
  /** "client" (default when NULL) or "server": what the application is (docs/rules.md). */
  const char *role;
  /** 32 or 64; 0 leaves it to the runtime (64). */
  int bitness;
  /** Limit of one request in milliseconds; 0: 10000. */
  long timeout_ms;
} lictor_runtime_options;

/** Opens a handle (no request is made yet). Fails on a malformed key or address. */
LICTOR_API int lictor_runtime_open(const lictor_runtime_options *options, lictor_runtime **out, lictor_error *err);
/** Closes a handle; NULL is accepted. */
LICTOR_API void lictor_runtime_close(lictor_runtime *rt);
/** How the runtime proves its answers to a handle. */
typedef enum lictor_proof_mode {
  /** The default: signed, then MAC'd within an answer session with the license that signed. */
  LICTOR_PROOF_SESSION = 0,
  /** Every answer signed by the license's container key (no answer sessions). */
  LICTOR_PROOF_SIGNATURE = 1
} lictor_proof_mode;

/** Chooses how answers are proven (LICTOR_PROOF_SIGNATURE forgets the handle's answer sessions). */
LICTOR_API int lictor_runtime_set_proof(lictor_runtime *rt, lictor_proof_mode mode, lictor_error *err);
/** Where the handle sends requests: "unix:<path>" or the URL (owned by the handle). */
LICTOR_API const char *lictor_runtime_endpoint(const lictor_runtime *rt);

/** A granted check, taken from the signed statement of the answer. */
typedef struct lictor_grant {
  char *product;
  /** The feature asked for, NULL for the product alone. */
  char *feature;
  char *serial;
  char *license_id;
  /** single, multi, server or server-sessions. */
  char *type;
  /** Users granted for the feature; -1: not counted. */
  long long users;
  /** ISO 8601 instant, NULL: perpetual. */
  char *expires_at;
  /** The license file that grants it (a path on the runtime's computer). */
  char *file;
  /** The container id of the license that proved the answer. */
  char *container_id;
  /** 1: the answer came MAC'd within this handle's answer session; 0: signed by the container key. */
  int session_mac;
} lictor_grant;

/** Is `product` (and `feature`, or NULL) licensed here? LICTOR_OK with a verified grant, else the refusal. */
LICTOR_API int lictor_runtime_check(lictor_runtime *rt, const char *product, const char *feature, lictor_grant **out,
                                    lictor_error *err);
LICTOR_API void lictor_grant_free(lictor_grant *grant);

/** A session: this process using one license file. */
typedef struct lictor_session {
  char *id;
  char *product;
  char *feature;
  char *serial;
  char *license_id;
  char *license_file;
  long long pid;
  char *os_session;
  char *opened_at;
  char *container_id;
  /** 1: the answer came MAC'd within this handle's answer session; 0: signed by the container key. */
  int session_mac;
} lictor_session;

/**
 * Opens a session of this process (getpid()) for `product` (`feature` or NULL). `os_session`
 * (or NULL) is used only where the runtime cannot ask the OS (not on Linux).
 */
LICTOR_API int lictor_runtime_open_session(lictor_runtime *rt, const char *product, const char *feature,
                                           const char *os_session, lictor_session **out, lictor_error *err);
/** Closes the session named `id` (lictor_session.id). */
LICTOR_API int lictor_runtime_close_session(lictor_runtime *rt, const char *id, lictor_error *err);
LICTOR_API void lictor_session_free(lictor_session *session);

/** A floating seat the runtime holds for the application (it sends the heartbeats). */
typedef struct lictor_seat {
  /** The runtime's id of the seat, for lictor_runtime_release_seat. */
  char *id;
  char *lease_id;
  char *product;
  char *feature;
  /** The License Manager holding the lease. */
  char *manager;
  /** active, lost or released. */
  char *state;
  char *expires_at;
  long long heartbeat_interval_ms;
  /** The process the seat is given back for when it exits; -1: none. */
  long long pid;
  char *container_id;
} lictor_seat;

/**
 * Takes a floating seat for `product` (`feature` or NULL) from a License Manager: `managers` is
 * a NULL-terminated list of manager addresses or NULL (the runtime's configuration, then
 * discovery). With `bind_to_process`, the seat is given back when this process exits.
 */
LICTOR_API int lictor_runtime_take_seat(lictor_runtime *rt, const char *product, const char *feature,
                                        const char *const *managers, int bind_to_process, lictor_seat **out,
                                        lictor_error *err);
/** Gives the seat named `id` (lictor_seat.id) back. */
LICTOR_API int lictor_runtime_release_seat(lictor_runtime *rt, const char *id, lictor_error *err);
LICTOR_API void lictor_seat_free(lictor_seat *seat);

/** What `GET /v1/status` says (not signed: it grants nothing). */
typedef struct lictor_runtime_status {
  char *runtime_id;
  char *version;
  char *started_at;
  long long sessions;
  long long processes;
  long long seats;
  /** The whole answer, JSON text. */
  char *json;
} lictor_runtime_status;

LICTOR_API int lictor_runtime_get_status(lictor_runtime *rt, lictor_runtime_status **out, lictor_error *err);
LICTOR_API void lictor_runtime_status_free(lictor_runtime_status *status);

/* ---- License files, opened offline with the vendor key (docs/spec/license-file.md) ---- */

typedef struct lictor_license_feature {
  const char *code;
  /** -1: not counted. */
  long long users;
} lictor_license_feature;

typedef struct lictor_license_entry {
  const char *product;
  const char *type;
  long long users;
  /** -1: null. */
  long long sessions;
  /** "x86", "x64" or NULL. */
  const char *arch;
  /** NULL: perpetual. */
  const char *expires_at;
  size_t feature_count;
  const lictor_license_feature *features;
} lictor_license_entry;

/** A license file that opened: vendor signature verified, decrypted, checked. */
typedef struct lictor_license {
  const char *container_id;
  const char *activation_id;
  const char *serial;
  const char *issued_at;
  long long pin;
  long long counter;
  /** "hardware" or "token". */
  const char *binding_kind;
  /** NULL: standard. */
  const char *policy;
  /** The container's Ed25519 and X25519 public keys (base64url), NULL when the license has none. */
  const char *container_sign_key;
  const char *container_box_key;
  /** Which subject digest the vendor's signature verified with: 2 or 1. */
  int subject_format;
  size_t entry_count;
  const lictor_license_entry *entries;
  /** The checked document (unknown members dropped) as canonical JSON. */
  const char *document_json;
} lictor_license;

/**
 * Opens an armored license file (`text` of `length` bytes) with the vendor public key text:
 * armor, envelope, AES-256-GCM, vendor signature over the subject digest (format 2, then 1),
 * document checks, in the specification's order and with its error codes.
 */
LICTOR_API int lictor_license_open(const char *text, size_t length, const char *public_key, lictor_license **out,
                                   lictor_error *err);
/**
 * Whether `license` holds an entry of `product` (with `feature`, unless NULL) that is not
 * expired at `now_ms` (milliseconds since 1970, UTC). Returns 1 or 0.
 */
LICTOR_API int lictor_license_covers(const lictor_license *license, const char *product, const char *feature,
                                     long long now_ms);
LICTOR_API void lictor_license_free(lictor_license *license);

/** A human-readable name of a status ("refused", "unproven", …). */
LICTOR_API const char *lictor_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif /* LICTOR_RUNTIME_H */
