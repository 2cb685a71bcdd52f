/* What the tests share: checks, files, the spec vectors, and sealing licenses with test keys. */
#ifndef LICTOR_TEST_SUPPORT_H
#define LICTOR_TEST_SUPPORT_H

#include <stdio.h>

#include "internal.h"

extern int test_failures;
extern int test_checks;

#define CHECK(cond, ...)                                      \
  do {                                                        \
    test_checks++;                                            \
    if (!(cond)) {                                            \
      test_failures++;                                        \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);    \
      fprintf(stderr, __VA_ARGS__);                           \
      fprintf(stderr, "\n");                                  \
    }                                                         \
  } while (0)

#define CHECK_STR(actual, expected, what)                                                                   \
  do {                                                                                                      \
    const char *a_ = (actual), *e_ = (expected);                                                            \
    CHECK(a_ != NULL && e_ != NULL && strcmp(a_, e_) == 0, "%s: got '%s', want '%s'", what, a_ ? a_ : "(null)", \
          e_ ? e_ : "(null)");                                                                              \
  } while (0)

/** Prints the tally; the exit status of a test program. */
int test_report(const char *name);

/** The whole file (NUL-terminated), or NULL. */
char *read_file(const char *path, size_t *len);
/** spec/vectors/<name>.json, parsed (exits when missing). */
lj_value *load_vectors(const char *name);
/** A string member (NUL-terminated text), or "" when absent. */
const char *vstr(const lj_value *obj, const char *key);
/** Hex to bytes; the length, or -1. */
long hex_decode(const char *hex, uint8_t *out, size_t cap);
/** Lower-case hex (malloc'ed). */
char *hex_of(const void *bytes, size_t len);

/**
 * Seals a license document (a JSON object in the shape of license-file.md) with the vendor key
 * of `vendor_seed`, as the License Center does (subject format 2 when it has container keys):
 * the armored text (malloc'ed), or NULL.
 */
char *seal_license(const lj_value *doc, const uint8_t vendor_seed[32]);
/** seal_license with the given salt (16 bytes) and iv (12 bytes), as the vectors fix them. */
char *seal_license_with(const lj_value *doc, const uint8_t vendor_seed[32], const uint8_t salt[16],
                        const uint8_t iv[12]);
/** `text` as a JSON document, parsed with the exact reader (exits on a typo). */
lj_value *json_of(const char *text);

#endif
