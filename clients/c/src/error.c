/* Errors, string copies and the growable buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void copy_text(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void lictor_error_clear(lictor_error *err) {
  if (err == NULL) return;
  memset(err, 0, sizeof *err);
}

int lictor_fail(lictor_error *err, int status, const char *code, const char *fmt, ...) {
  if (err == NULL) return status;
  lictor_error_clear(err);
  err->status = status;
  copy_text(err->code, sizeof err->code, code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return status;
}

const char *lictor_status_name(int status) {
  switch (status) {
    case LICTOR_OK:
      return "ok";
    case LICTOR_ERR_REFUSED:
      return "refused";
    case LICTOR_ERR_UNPROVEN:
      return "unproven";
    case LICTOR_ERR_TRANSPORT:
      return "transport";
    case LICTOR_ERR_INVALID:
      return "invalid";
    case LICTOR_ERR_LICENSE:
      return "license";
    case LICTOR_ERR_INTERNAL:
      return "internal";
    default:
      return "unknown";
  }
}

char *lictor_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p == NULL) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *lictor_strdup(const char *s) { return s == NULL ? NULL : lictor_strndup(s, strlen(s)); }

static int grow(lictor_buf *b, size_t extra) {
  if (b->oom) return -1;
  if (extra > SIZE_MAX - b->len - 1) {
    b->oom = 1;
    return -1;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  size_t cap = b->cap == 0 ? 64 : b->cap;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = realloc(b->data, cap);
  if (p == NULL) {
    b->oom = 1;
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void lictor_buf_put(lictor_buf *b, const void *data, size_t n) {
  if (n == 0 || grow(b, n) != 0) return;
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

void lictor_buf_puts(lictor_buf *b, const char *s) { lictor_buf_put(b, s, strlen(s)); }

void lictor_buf_putc(lictor_buf *b, char c) {
  if (grow(b, 1) != 0) return;
  b->data[b->len++] = c;
}

int lictor_buf_finish(lictor_buf *b) {
  if (grow(b, 0) != 0) return -1;
  b->data[b->len] = '\0';
  return 0;
}

void lictor_buf_free(lictor_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}
