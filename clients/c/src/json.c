/*
 * JSON as JavaScript reads it, and canonical JSON (docs/spec/README.md). The License Center
 * signs canonical bytes rebuilt from JSON.parse's view of a document, so a reader must see the
 * same values: strings with U+0000 and lone surrogates (`\ud800`), the last of duplicate keys,
 * numbers as the nearest double. The runtime's own messages are read with cJSON (runtime.c);
 * this reader is for the signed formats.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LJ_MAX_DEPTH 256
#define MAX_SAFE_INTEGER 9007199254740991.0

typedef struct lj_parser {
  const char *s;
  size_t len;
  size_t i;
  int depth;
} lj_parser;

lj_value *lj_new(lj_type type) {
  lj_value *v = calloc(1, sizeof *v);
  if (v != NULL) v->type = type;
  return v;
}

lj_value *lj_new_string(const char *s, size_t len) {
  lj_value *v = lj_new(LJ_STRING);
  if (v == NULL) return NULL;
  v->str = lictor_strndup(s, len);
  if (v->str == NULL) {
    free(v);
    return NULL;
  }
  v->len = len;
  return v;
}

lj_value *lj_new_number(double x) {
  lj_value *v = lj_new(LJ_NUMBER);
  if (v != NULL) v->number = x;
  return v;
}

void lj_free(lj_value *v) {
  if (v == NULL) return;
  for (size_t k = 0; k < v->count; k++) {
    lj_free(v->items[k]);
    if (v->keys != NULL) free(v->keys[k]);
  }
  free(v->items);
  free(v->keys);
  free(v->key_lens);
  free(v->str);
  free(v);
}

static int reserve(lj_value *v) {
  if (v->count < v->cap) return 0;
  size_t cap = v->cap == 0 ? 4 : v->cap * 2;
  lj_value **items = realloc(v->items, cap * sizeof *items);
  if (items == NULL) return -1;
  v->items = items;
  if (v->type == LJ_OBJECT) {
    char **keys = realloc(v->keys, cap * sizeof *keys);
    if (keys == NULL) return -1;
    v->keys = keys;
    size_t *lens = realloc(v->key_lens, cap * sizeof *lens);
    if (lens == NULL) return -1;
    v->key_lens = lens;
  }
  v->cap = cap;
  return 0;
}

int lj_push(lj_value *arr, lj_value *item) {
  if (item == NULL || arr == NULL || arr->type != LJ_ARRAY || reserve(arr) != 0) {
    lj_free(item);
    return -1;
  }
  arr->items[arr->count++] = item;
  return 0;
}

int lj_set_n(lj_value *obj, const char *key, size_t klen, lj_value *value) {
  if (value == NULL || obj == NULL || obj->type != LJ_OBJECT || reserve(obj) != 0) {
    lj_free(value);
    return -1;
  }
  char *k = lictor_strndup(key, klen);
  if (k == NULL) {
    lj_free(value);
    return -1;
  }
  obj->keys[obj->count] = k;
  obj->key_lens[obj->count] = klen;
  obj->items[obj->count++] = value;
  return 0;
}

int lj_set(lj_value *obj, const char *key, lj_value *value) { return lj_set_n(obj, key, strlen(key), value); }

lj_value *lj_clone(const lj_value *v) {
  if (v == NULL) return NULL;
  lj_value *c = lj_new(v->type);
  if (c == NULL) return NULL;
  c->number = v->number;
  if (v->type == LJ_STRING) {
    c->str = lictor_strndup(v->str, v->len);
    c->len = v->len;
    if (c->str == NULL) {
      free(c);
      return NULL;
    }
  }
  for (size_t k = 0; k < v->count; k++) {
    int rc = v->type == LJ_OBJECT ? lj_set_n(c, v->keys[k], v->key_lens[k], lj_clone(v->items[k]))
                                  : lj_push(c, lj_clone(v->items[k]));
    if (rc != 0) {
      lj_free(c);
      return NULL;
    }
  }
  return c;
}

lj_value *lj_get(const lj_value *obj, const char *key) {
  if (obj == NULL || obj->type != LJ_OBJECT) return NULL;
  size_t klen = strlen(key);
  for (size_t k = obj->count; k > 0; k--) {
    if (obj->key_lens[k - 1] == klen && memcmp(obj->keys[k - 1], key, klen) == 0) return obj->items[k - 1];
  }
  return NULL;
}

int lj_is_string(const lj_value *v) { return v != NULL && v->type == LJ_STRING; }

int lj_string_is(const lj_value *v, const char *s) {
  return lj_is_string(v) && v->len == strlen(s) && memcmp(v->str, s, v->len) == 0;
}

int lj_is_safe_integer(const lj_value *v) {
  return v != NULL && v->type == LJ_NUMBER && isfinite(v->number) && trunc(v->number) == v->number &&
         fabs(v->number) <= MAX_SAFE_INTEGER;
}

/* ---- parsing ---- */

static void skip_ws(lj_parser *p) {
  while (p->i < p->len) {
    char c = p->s[p->i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->i++;
  }
}

static int hex4(lj_parser *p, uint32_t *out) {
  if (p->len - p->i < 4) return -1;
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) {
    char c = p->s[p->i + (size_t)k];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= (uint32_t)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= (uint32_t)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= (uint32_t)(c - 'A' + 10);
    } else {
      return -1;
    }
  }
  p->i += 4;
  *out = v;
  return 0;
}

/* A string literal at p->i (the opening quote) into `out`. */
static int parse_string_into(lj_parser *p, lictor_buf *out) {
  p->i++;
  for (;;) {
    if (p->i >= p->len) return -1;
    unsigned char c = (unsigned char)p->s[p->i];
    if (c == '"') {
      p->i++;
      return out->oom ? -1 : 0;
    }
    if (c < 0x20) return -1;
    if (c != '\\') {
      size_t start = p->i;
      while (p->i < p->len && p->s[p->i] != '"' && p->s[p->i] != '\\' && (unsigned char)p->s[p->i] >= 0x20) p->i++;
      lictor_buf_put(out, p->s + start, p->i - start);
      continue;
    }
    p->i++;
    if (p->i >= p->len) return -1;
    char e = p->s[p->i++];
    switch (e) {
      case '"':
        lictor_buf_putc(out, '"');
        break;
      case '\\':
        lictor_buf_putc(out, '\\');
        break;
      case '/':
        lictor_buf_putc(out, '/');
        break;
      case 'b':
        lictor_buf_putc(out, '\b');
        break;
      case 'f':
        lictor_buf_putc(out, '\f');
        break;
      case 'n':
        lictor_buf_putc(out, '\n');
        break;
      case 'r':
        lictor_buf_putc(out, '\r');
        break;
      case 't':
        lictor_buf_putc(out, '\t');
        break;
      case 'u': {
        uint32_t unit;
        if (hex4(p, &unit) != 0) return -1;
        if (unit >= 0xD800 && unit <= 0xDBFF && p->len - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
          size_t back = p->i;
          uint32_t low;
          p->i += 2;
          if (hex4(p, &low) == 0 && low >= 0xDC00 && low <= 0xDFFF) {
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
          } else {
            p->i = back; /* a lone high surrogate; the next escape is read on its own */
          }
        }
        lictor_utf8_put(out, unit);
        break;
      }
      default:
        return -1;
    }
  }
}

static lj_value *parse_number(lj_parser *p) {
  size_t start = p->i;
  const char *s = p->s;
  size_t n = p->len;
  int simple = 1;
  if (p->i < n && s[p->i] == '-') p->i++;
  if (p->i >= n) return NULL;
  if (s[p->i] == '0') {
    p->i++;
  } else if (s[p->i] >= '1' && s[p->i] <= '9') {
    while (p->i < n && s[p->i] >= '0' && s[p->i] <= '9') p->i++;
  } else {
    return NULL;
  }
  if (p->i < n && s[p->i] == '.') {
    simple = 0;
    p->i++;
    if (p->i >= n || s[p->i] < '0' || s[p->i] > '9') return NULL;
    while (p->i < n && s[p->i] >= '0' && s[p->i] <= '9') p->i++;
  }
  if (p->i < n && (s[p->i] == 'e' || s[p->i] == 'E')) {
    simple = 0;
    p->i++;
    if (p->i < n && (s[p->i] == '+' || s[p->i] == '-')) p->i++;
    if (p->i >= n || s[p->i] < '0' || s[p->i] > '9') return NULL;
    while (p->i < n && s[p->i] >= '0' && s[p->i] <= '9') p->i++;
  }
  size_t tlen = p->i - start;
  size_t ndigits = tlen - (s[start] == '-');
  if (simple && ndigits <= 15) {
    /* Exact without strtod (and its locale). */
    double v = 0;
    for (size_t k = start + (s[start] == '-'); k < p->i; k++) v = v * 10 + (s[k] - '0');
    return lj_new_number(s[start] == '-' ? -v : v);
  }
  char *tok = lictor_strndup(s + start, tlen);
  if (tok == NULL) return NULL;
  /* strtod reads the locale's decimal point; the JSON one is '.'. */
  const char *point = localeconv()->decimal_point;
  char *dot = strchr(tok, '.');
  if (dot != NULL && point != NULL && point[0] != '\0' && point[1] == '\0') *dot = point[0];
  double v = strtod(tok, NULL);
  free(tok);
  return lj_new_number(v);
}

static lj_value *parse_value(lj_parser *p);

static lj_value *parse_container(lj_parser *p, int object) {
  if (++p->depth > LJ_MAX_DEPTH) return NULL;
  lj_value *v = lj_new(object ? LJ_OBJECT : LJ_ARRAY);
  if (v == NULL) return NULL;
  p->i++;
  skip_ws(p);
  char close = object ? '}' : ']';
  if (p->i < p->len && p->s[p->i] == close) {
    p->i++;
    p->depth--;
    return v;
  }
  for (;;) {
    skip_ws(p);
    lictor_buf key = {0};
    if (object) {
      if (p->i >= p->len || p->s[p->i] != '"' || parse_string_into(p, &key) != 0) goto fail_key;
      skip_ws(p);
      if (p->i >= p->len || p->s[p->i] != ':') goto fail_key;
      p->i++;
      skip_ws(p);
    }
    lj_value *item = parse_value(p);
    int rc = object ? lj_set_n(v, key.data == NULL ? "" : key.data, key.len, item) : lj_push(v, item);
    lictor_buf_free(&key);
    if (rc != 0) goto fail;
    skip_ws(p);
    if (p->i >= p->len) goto fail;
    if (p->s[p->i] == ',') {
      p->i++;
      continue;
    }
    if (p->s[p->i] == close) {
      p->i++;
      p->depth--;
      return v;
    }
    goto fail;
  fail_key:
    lictor_buf_free(&key);
    goto fail;
  }
fail:
  lj_free(v);
  return NULL;
}

static lj_value *parse_literal(lj_parser *p, const char *word, lj_type type) {
  size_t n = strlen(word);
  if (p->len - p->i < n || memcmp(p->s + p->i, word, n) != 0) return NULL;
  p->i += n;
  return lj_new(type);
}

static lj_value *parse_value(lj_parser *p) {
  if (p->i >= p->len) return NULL;
  switch (p->s[p->i]) {
    case '{':
      return parse_container(p, 1);
    case '[':
      return parse_container(p, 0);
    case '"': {
      lictor_buf b = {0};
      if (parse_string_into(p, &b) != 0 || lictor_buf_finish(&b) != 0) {
        lictor_buf_free(&b);
        return NULL;
      }
      lj_value *v = lj_new(LJ_STRING);
      if (v == NULL) {
        lictor_buf_free(&b);
        return NULL;
      }
      v->str = b.data;
      v->len = b.len;
      return v;
    }
    case 't':
      return parse_literal(p, "true", LJ_TRUE);
    case 'f':
      return parse_literal(p, "false", LJ_FALSE);
    case 'n':
      return parse_literal(p, "null", LJ_NULL);
    default:
      return parse_number(p);
  }
}

lj_value *lj_parse(const char *text, size_t len) {
  if (text == NULL || !lictor_utf8_valid(text, len)) return NULL;
  lj_parser p = {text, len, 0, 0};
  skip_ws(&p);
  lj_value *v = parse_value(&p);
  if (v == NULL) return NULL;
  skip_ws(&p);
  if (p.i != len) {
    lj_free(v);
    return NULL;
  }
  return v;
}

/* ---- canonical JSON ---- */

void lj_write_string(lictor_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  lictor_buf_putc(out, '"');
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    uint32_t cp = lictor_utf8_next(s, len, &i);
    char esc[7];
    switch (cp) {
      case '"':
        lictor_buf_puts(out, "\\\"");
        continue;
      case '\\':
        lictor_buf_puts(out, "\\\\");
        continue;
      case '\b':
        lictor_buf_puts(out, "\\b");
        continue;
      case '\t':
        lictor_buf_puts(out, "\\t");
        continue;
      case '\n':
        lictor_buf_puts(out, "\\n");
        continue;
      case '\f':
        lictor_buf_puts(out, "\\f");
        continue;
      case '\r':
        lictor_buf_puts(out, "\\r");
        continue;
      default:
        break;
    }
    if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
      esc[0] = '\\';
      esc[1] = 'u';
      esc[2] = hex[(cp >> 12) & 0xF];
      esc[3] = hex[(cp >> 8) & 0xF];
      esc[4] = hex[(cp >> 4) & 0xF];
      esc[5] = hex[cp & 0xF];
      lictor_buf_put(out, esc, 6);
    } else {
      lictor_buf_put(out, s + start, i - start);
    }
  }
  lictor_buf_putc(out, '"');
}

typedef struct key_ref {
  const char *key;
  size_t len;
  size_t index;
} key_ref;

static int key_ref_cmp(const void *a, const void *b) {
  const key_ref *x = a, *y = b;
  int c = lictor_utf16_compare(x->key, x->len, y->key, y->len);
  if (c != 0) return c;
  return x->index < y->index ? -1 : x->index > y->index;
}

int lj_unique_members(const lj_value *obj, size_t **indices, size_t *count) {
  *indices = NULL;
  *count = 0;
  if (obj == NULL || obj->type != LJ_OBJECT) return -1;
  key_ref *refs = malloc((obj->count + 1) * sizeof *refs);
  size_t *idx = malloc((obj->count + 1) * sizeof *idx);
  if (refs == NULL || idx == NULL) {
    free(refs);
    free(idx);
    return -1;
  }
  for (size_t k = 0; k < obj->count; k++) refs[k] = (key_ref){obj->keys[k], obj->key_lens[k], k};
  qsort(refs, obj->count, sizeof *refs, key_ref_cmp);
  size_t n = 0;
  for (size_t k = 0; k < obj->count; k++) {
    /* Of equal keys, only the last (JSON.parse keeps the last value). */
    if (k + 1 < obj->count && refs[k + 1].len == refs[k].len && memcmp(refs[k + 1].key, refs[k].key, refs[k].len) == 0)
      continue;
    idx[n++] = refs[k].index;
  }
  free(refs);
  *indices = idx;
  *count = n;
  return 0;
}

int lj_canonical(const lj_value *v, lictor_buf *out) {
  if (v == NULL) return -1;
  switch (v->type) {
    case LJ_NULL:
      lictor_buf_puts(out, "null");
      break;
    case LJ_TRUE:
      lictor_buf_puts(out, "true");
      break;
    case LJ_FALSE:
      lictor_buf_puts(out, "false");
      break;
    case LJ_NUMBER: {
      if (!lj_is_safe_integer(v)) return -1;
      char num[32];
      long long x = (long long)v->number; /* -0 becomes 0 */
      int n = snprintf(num, sizeof num, "%lld", x);
      lictor_buf_put(out, num, (size_t)n);
      break;
    }
    case LJ_STRING:
      lj_write_string(out, v->str, v->len);
      break;
    case LJ_ARRAY:
      lictor_buf_putc(out, '[');
      for (size_t k = 0; k < v->count; k++) {
        if (k > 0) lictor_buf_putc(out, ',');
        if (lj_canonical(v->items[k], out) != 0) return -1;
      }
      lictor_buf_putc(out, ']');
      break;
    case LJ_OBJECT: {
      size_t *idx = NULL, n = 0;
      if (lj_unique_members(v, &idx, &n) != 0) return -1;
      lictor_buf_putc(out, '{');
      for (size_t k = 0; k < n; k++) {
        if (k > 0) lictor_buf_putc(out, ',');
        lj_write_string(out, v->keys[idx[k]], v->key_lens[idx[k]]);
        lictor_buf_putc(out, ':');
        if (lj_canonical(v->items[idx[k]], out) != 0) {
          free(idx);
          return -1;
        }
      }
      lictor_buf_putc(out, '}');
      free(idx);
      break;
    }
  }
  return out->oom ? -1 : 0;
}
