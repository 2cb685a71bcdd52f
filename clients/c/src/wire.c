/* Reading the runtime's JSON messages with cJSON: every lookup checked, the last duplicate wins. */
#include <math.h>
#include <string.h>

#include "wire.h"

const cJSON *lictor_member(const cJSON *obj, const char *key) {
  if (!cJSON_IsObject(obj)) return NULL;
  const cJSON *found = NULL;
  for (const cJSON *c = obj->child; c != NULL; c = c->next) {
    if (c->string != NULL && strcmp(c->string, key) == 0) found = c;
  }
  return found;
}

const char *lictor_member_string(const cJSON *obj, const char *key) {
  const cJSON *v = lictor_member(obj, key);
  return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : NULL;
}

int lictor_copy_string(const cJSON *obj, const char *key, int nullable, char **out) {
  const cJSON *v = lictor_member(obj, key);
  *out = NULL;
  if (nullable && cJSON_IsNull(v)) return 0;
  if (!cJSON_IsString(v) || v->valuestring == NULL) return -1;
  *out = lictor_strdup(v->valuestring);
  return *out == NULL ? -1 : 0;
}

int lictor_copy_integer(const cJSON *obj, const char *key, int nullable, long long null_value, long long *out) {
  const cJSON *v = lictor_member(obj, key);
  *out = null_value;
  if (nullable && cJSON_IsNull(v)) return 0;
  if (!cJSON_IsNumber(v)) return -1;
  double x = v->valuedouble;
  if (!isfinite(x) || trunc(x) != x || fabs(x) > 9007199254740991.0) return -1;
  *out = (long long)x;
  return 0;
}
