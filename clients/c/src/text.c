/*
 * Unicode text as JavaScript sees it: UTF-16 lengths and order, `\s`, trim, toLowerCase and
 * Date.parse of ISO instants. The License Center normalizes and signs with these semantics
 * (docs/spec/README.md, docs/spec/license-file.md), so the digest a reader rebuilds must use them.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int lictor_utf8_valid(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
      min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
      min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return 0;
    }
    if (len - i <= n) return 0;
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += n + 1;
  }
  return 1;
}

uint32_t lictor_utf8_next(const char *str, size_t len, size_t *at) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = *at;
  unsigned char c = s[i];
  size_t n = 0;
  uint32_t cp = c, min = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
    cp = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    cp = c & 0x07;
    min = 0x10000;
  } else if (c >= 0x80) {
    *at = i + 1;
    return 0x110000 + c;
  }
  if (n > 0) {
    if (len - i <= n) {
      *at = i + 1;
      return 0x110000 + c;
    }
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xC0) != 0x80) {
        *at = i + 1;
        return 0x110000 + c;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF) {
      *at = i + 1;
      return 0x110000 + c;
    }
  }
  *at = i + n + 1;
  return cp;
}

void lictor_utf8_put(lictor_buf *b, uint32_t cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  lictor_buf_put(b, out, n);
}

size_t lictor_utf16_length(const char *s, size_t len) {
  size_t i = 0, n = 0;
  while (i < len) {
    uint32_t cp = lictor_utf8_next(s, len, &i);
    n += (cp >= 0x10000 && cp <= 0x10FFFF) ? 2 : 1;
  }
  return n;
}

typedef struct u16_iter {
  const char *s;
  size_t len;
  size_t i;
  uint32_t pending;
} u16_iter;

/* The next UTF-16 code unit; 0 at the end. An invalid byte stands for itself (never in checked text). */
static int u16_next(u16_iter *it, uint32_t *unit) {
  if (it->pending != 0) {
    *unit = it->pending;
    it->pending = 0;
    return 1;
  }
  if (it->i >= it->len) return 0;
  uint32_t cp = lictor_utf8_next(it->s, it->len, &it->i);
  if (cp >= 0x110000) {
    *unit = cp - 0x110000;
  } else if (cp >= 0x10000) {
    cp -= 0x10000;
    *unit = 0xD800 + (cp >> 10);
    it->pending = 0xDC00 + (cp & 0x3FF);
  } else {
    *unit = cp;
  }
  return 1;
}

int lictor_utf16_compare(const char *a, size_t alen, const char *b, size_t blen) {
  u16_iter x = {a, alen, 0, 0}, y = {b, blen, 0, 0};
  for (;;) {
    uint32_t ua = 0, ub = 0;
    int ha = u16_next(&x, &ua), hb = u16_next(&y, &ub);
    if (!ha || !hb) return ha - hb;
    if (ua != ub) return ua < ub ? -1 : 1;
  }
}

int lictor_js_space(uint32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return 1;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

void lictor_js_clean(const char *s, size_t len, lictor_buf *out) {
  size_t i = 0;
  int space = 0, any = 0;
  while (i < len) {
    size_t start = i;
    uint32_t cp = lictor_utf8_next(s, len, &i);
    if (lictor_js_space(cp)) {
      space = 1;
      continue;
    }
    if (space && any) lictor_buf_putc(out, ' ');
    space = 0;
    any = 1;
    lictor_buf_put(out, s + start, i - start);
  }
}

void lictor_js_trim(const char *s, size_t len, lictor_buf *out) {
  size_t i = 0, first = len, last = 0;
  while (i < len) {
    size_t start = i;
    uint32_t cp = lictor_utf8_next(s, len, &i);
    if (!lictor_js_space(cp)) {
      if (first == len) first = start;
      last = i;
    }
  }
  if (first < last) lictor_buf_put(out, s + first, last - first);
}

static int in_ranges(const lictor_u32_pair *r, size_t n, uint32_t cp) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cp < r[mid].a) {
      hi = mid;
    } else if (cp > r[mid].b) {
      lo = mid + 1;
    } else {
      return 1;
    }
  }
  return 0;
}

static uint32_t lower_single(uint32_t cp) {
  size_t lo = 0, hi = lictor_lower_map_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cp < lictor_lower_map[mid].a) {
      hi = mid;
    } else if (cp > lictor_lower_map[mid].a) {
      lo = mid + 1;
    } else {
      return lictor_lower_map[mid].b;
    }
  }
  return cp;
}

/* Unicode's Final_Sigma as ICU tests it: case-ignorable characters are skipped, then a cased one decides. */
static int cased_letter(uint32_t cp, int *decided) {
  if (cp >= 0x110000) {
    *decided = 1;
    return 0;
  }
  if (in_ranges(lictor_case_ignorable_ranges, lictor_case_ignorable_range_count, cp)) return 0;
  *decided = 1;
  return in_ranges(lictor_cased_ranges, lictor_cased_range_count, cp);
}

static int final_sigma(const uint32_t *cps, size_t n, size_t at) {
  int before = 0, after = 0, decided = 0;
  for (size_t k = at; k > 0 && !decided; k--) before = cased_letter(cps[k - 1], &decided);
  decided = 0;
  for (size_t k = at + 1; k < n && !decided; k++) after = cased_letter(cps[k], &decided);
  return before && !after;
}

void lictor_js_lower(const char *s, size_t len, lictor_buf *out) {
  uint32_t *cps = malloc((len + 1) * sizeof *cps);
  size_t *offs = malloc((len + 2) * sizeof *offs);
  if (cps == NULL || offs == NULL) {
    free(cps);
    free(offs);
    out->oom = 1;
    return;
  }
  size_t n = 0, i = 0;
  while (i < len) {
    offs[n] = i;
    cps[n++] = lictor_utf8_next(s, len, &i);
  }
  offs[n] = len;
  for (size_t k = 0; k < n; k++) {
    uint32_t cp = cps[k];
    if (cp >= 0x110000 || (cp >= 0xD800 && cp <= 0xDFFF)) {
      lictor_buf_put(out, s + offs[k], offs[k + 1] - offs[k]);
    } else if (cp == 0x130) {
      lictor_utf8_put(out, 0x69);
      lictor_utf8_put(out, 0x307);
    } else if (cp == 0x3A3) {
      lictor_utf8_put(out, final_sigma(cps, n, k) ? 0x3C2 : 0x3C3);
    } else {
      lictor_utf8_put(out, lower_single(cp));
    }
  }
  free(cps);
  free(offs);
}

static int digits(const char *s, size_t n, int *value) {
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *value = v;
  return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long long)doe - 719468;
}

int lictor_parse_instant(const char *s, size_t len, long long *ms) {
  int y, mo, d, h, mi, se, frac = 0;
  if (len < 20 || len > 24 || s[len - 1] != 'Z') return -1;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return -1;
  if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
      digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
    return -1;
  if (len > 20) {
    size_t n = len - 21; /* fraction digits between '.' and 'Z' */
    if (s[19] != '.' || n < 1 || n > 3 || digits(s + 20, n, &frac)) return -1;
    for (size_t k = n; k < 3; k++) frac *= 10;
  }
  /* Date.parse: day 31 in any month and 24:00:00.000 roll over; nothing else out of range. */
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || mi > 59 || se > 59 || h > 24) return -1;
  if (h == 24 && (mi != 0 || se != 0 || frac != 0)) return -1;
  long long days = days_from_civil(y, (unsigned)mo, 1) + (d - 1);
  *ms = ((days * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + frac;
  return 0;
}
