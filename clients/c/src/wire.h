/* Reading the runtime's JSON messages with cJSON, defensively (wire.c). */
#ifndef LICTOR_WIRE_H
#define LICTOR_WIRE_H

#include "cJSON.h"
#include "internal.h"

/** The member `key` of an object, the last one of that name as JSON.parse keeps it; NULL otherwise. */
LICTOR_HIDDEN const cJSON *lictor_member(const cJSON *obj, const char *key);
/** The member `key` when it is a string, else NULL. */
LICTOR_HIDDEN const char *lictor_member_string(const cJSON *obj, const char *key);
/**
 * The member `key` when it is a string (copied to `*out`) or, with `nullable`, null (`*out` NULL).
 * Returns 0, or -1 when it is absent, of another type, or memory runs out.
 */
LICTOR_HIDDEN int lictor_copy_string(const cJSON *obj, const char *key, int nullable, char **out);
/**
 * The member `key` when it is an integer (of at most 2^53) or, with `nullable`, null (`*out`
 * `null_value`). Returns 0, or -1.
 */
LICTOR_HIDDEN int lictor_copy_integer(const cJSON *obj, const char *key, int nullable, long long null_value,
                                      long long *out);

#endif
