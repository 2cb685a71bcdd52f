/*
 * JavaScript's semantics that the formats rely on (expected values taken from Node 22): JSON.parse
 * (duplicates, U+0000, lone surrogates, numbers), canonical JSON, toLowerCase, `\s`, trim, UTF-16
 * order and length, Date.parse of instants, and strict base64 / base64url.
 */
#include <stdlib.h>
#include <string.h>

#include "support.h"

static char *canonical(const char *json) {
  lj_value *v = lj_parse(json, strlen(json));
  if (v == NULL) return NULL;
  lictor_buf b = {0};
  int rc = lj_canonical(v, &b);
  lj_free(v);
  if (rc != 0) {
    lictor_buf_free(&b);
    return lictor_strdup("(not canonical)");
  }
  lictor_buf_finish(&b);
  return b.data;
}

static void expect_canonical(const char *json, const char *want) {
  char *got = canonical(json);
  CHECK(got != NULL && strcmp(got, want) == 0, "canonical(%s): got %s, want %s", json, got ? got : "(no parse)", want);
  free(got);
}

static void expect_refused(const char *json, size_t len) {
  lj_value *v = lj_parse(json, len);
  CHECK(v == NULL, "JSON.parse refuses %.*s", (int)len, json);
  lj_free(v);
}

static void json(void) {
  expect_canonical("{\"a\":1,\"a\":2}", "{\"a\":2}");
  expect_canonical("{\"b\":{\"x\":1},\"a\":true,\"b\":[]}", "{\"a\":true,\"b\":[]}");
  expect_canonical("\"nul\\u0000 after\"", "\"nul\\u0000 after\"");
  expect_canonical("\"\\ud800 lone \\udfff\"", "\"\\ud800 lone \\udfff\"");
  expect_canonical("\"\\ud83d\\ude00\"", "\"\xF0\x9F\x98\x80\"");
  expect_canonical("\"\\ud83d\\ud83d\\ude00\"", "\"\\ud83d\xF0\x9F\x98\x80\"");
  expect_canonical("\"\\u00e9\\/\\u2028\\u007f\"", "\"\xC3\xA9/\xE2\x80\xA8\x7F\"");
  expect_canonical("[1.0, 1e2, -0, 0.5e1, 12345678900000000000e-10, 1e-400]", "[1,100,0,5,1234567890,0]");
  expect_canonical("[1.5]", "(not canonical)");
  expect_canonical("[1e400]", "(not canonical)");
  expect_canonical("[9007199254740992]", "(not canonical)");
  expect_canonical("[-9007199254740991]", "[-9007199254740991]");
  expect_canonical(" \t\r\n{ } ", "{}");
  /* Keys in UTF-16 order: U+10000 (a surrogate pair) sorts before U+FFFF. */
  expect_canonical("{\"\xEF\xBF\xBF\":1,\"\xF0\x90\x80\x80\":2,\"\":3}",
                   "{\"\":3,\"\xF0\x90\x80\x80\":2,\"\xEF\xBF\xBF\":1}");
  const char *bad[] = {"", "01", "[1,]", "{\"a\":1,}", "[01]", "1.", ".5", "+1", "-", "[1 2]", "{a:1}", "'a'",
                       "\"\\x\"", "\"\\u12\"", "tru", "nul", "[", "\"abc", "{\"a\" 1}", "NaN", "Infinity",
                       "[1]x", "\xEF\xBB\xBF{}", "\"\xC3\x28\"", "\"\xED\xA0\x80\""};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) expect_refused(bad[k], strlen(bad[k]));
  expect_refused("\"tab\there\"", 10);
  expect_refused("\"a\0b\"", 5);
  /* Deep nesting is refused rather than exhausting the stack. */
  lictor_buf deep = {0};
  for (int k = 0; k < 100000; k++) lictor_buf_putc(&deep, '[');
  expect_refused(deep.data, deep.len);
  lictor_buf_free(&deep);
  lj_value *dup = json_of("{\"k\":\"first\",\"k\":\"last\"}");
  CHECK(lj_string_is(lj_get(dup, "k"), "last"), "the last duplicate wins");
  lj_free(dup);
}

static char *lower(const char *s) {
  lictor_buf b = {0};
  lictor_js_lower(s, strlen(s), &b);
  lictor_buf_finish(&b);
  return b.data;
}

#define NAN_MS (-1LL)

static void text(void) {
  const char *cases[][2] = {
      {"PLANT-A", "plant-a"},
      {"\xC4\xB0STANBUL", "i\xCC\x87stanbul"},              /* İ: two code points */
      {"\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3", "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82"}, /* ΟΔΟΣ → οδος (final sigma) */
      {"\xCE\xA3", "\xCF\x83"},                             /* Σ alone */
      {"\xCE\x91\xCE\xA3.\xCE\x92", "\xCE\xB1\xCF\x83.\xCE\xB2"},
      {"\xCE\x91.\xCE\xA3", "\xCE\xB1.\xCF\x82"},
      {"\xCE\x91\xCE\xA3 \xCE\x92", "\xCE\xB1\xCF\x82 \xCE\xB2"},
      {"\xCE\x91\xCE\xA3\xCC\x81", "\xCE\xB1\xCF\x82\xCC\x81"},
      {"\xC7\x85", "\xC7\x86"},                             /* ǅ */
      {"\xE2\x85\xAB", "\xE2\x85\xBB"},                     /* Ⅻ */
      {"\xF0\x90\x90\x80", "\xF0\x90\x90\xA8"},             /* 𐐀 */
      {"\xE1\xBA\x9E", "\xC3\x9F"},                         /* ẞ */
      {"ABC\xC3\x84\xC3\x96\xC3\x9C", "abc\xC3\xA4\xC3\xB6\xC3\xBC"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    char *got = lower(cases[k][0]);
    CHECK(got != NULL && strcmp(got, cases[k][1]) == 0, "toLowerCase case %zu", k);
    free(got);
  }
  lictor_buf b = {0};
  const char *messy = "\xE2\x80\x83 ACME\t\t Mainboard\xC2\xA0X1 \xEF\xBB\xBF\xE3\x80\x80";
  lictor_js_clean(messy, strlen(messy), &b);
  lictor_buf_finish(&b);
  CHECK_STR(b.data, "ACME Mainboard X1", "clean");
  lictor_buf_free(&b);
  const char *zw = "a\xE2\x80\x8B" "b"; /* U+200B is not white space in JavaScript */
  lictor_js_clean(zw, strlen(zw), &b);
  CHECK(b.len == strlen(zw), "U+200B kept");
  lictor_buf_free(&b);

  CHECK(lictor_utf16_length("\xF0\x9F\x98\x80" "a\xC3\xA9", 7) == 4, "UTF-16 length counts a pair as 2");
  CHECK(lictor_utf16_compare("\xF0\x9F\x98\x80", 4, "\xEF\xBD\x9A", 3) < 0, "U+1F600 < U+FF5A");
  CHECK(lictor_utf16_compare("a", 1, "ab", 2) < 0, "prefix first");
  CHECK(lictor_utf16_compare("Z", 1, "a", 1) < 0, "upper case first");

  struct {
    const char *text;
    long long ms; /* NAN_MS: NaN */
  } instants[] = {
      {"2026-02-30T00:00:00Z", 1772409600000LL},   {"2026-02-31T00:00:00Z", 1772496000000LL},
      {"2026-02-32T00:00:00Z", -1},                {"2026-13-01T00:00:00Z", -1},
      {"2026-00-01T00:00:00Z", -1},                {"2026-01-00T00:00:00Z", -1},
      {"2026-01-01T24:00:00Z", 1767312000000LL},   {"2026-01-01T24:00:01Z", -1},
      {"2026-01-01T25:00:00Z", -1},                {"2026-01-01T23:60:00Z", -1},
      {"2026-01-01T23:59:60Z", -1},                {"0000-01-01T00:00:00Z", -62167219200000LL},
      {"2026-01-01T00:00:00.5Z", 1767225600500LL}, {"2026-04-31T00:00:00.12Z", 1777593600120LL},
      {"2026-01-01T24:00:00.001Z", -1},            {"2026-01-01T00:00:00.1234Z", -1},
      {"2026-01-01T00:00:00.Z", -1},               {"2026-01-01 00:00:00Z", -1},
      {"2026-01-01T00:00:00+00:00", -1},           {"2027-11-22T10:00:00.000Z", 1826877600000LL},
  };
  for (size_t k = 0; k < sizeof instants / sizeof *instants; k++) {
    long long ms = 0;
    int rc = lictor_parse_instant(instants[k].text, strlen(instants[k].text), &ms);
    if (instants[k].ms == NAN_MS) {
      CHECK(rc != 0, "Date.parse(%s) is NaN", instants[k].text);
    } else {
      CHECK(rc == 0 && ms == instants[k].ms, "Date.parse(%s): %lld", instants[k].text, ms);
    }
  }
}

static void encodings(void) {
  uint8_t out[64];
  CHECK(lictor_b64url_decode("AQID", 4, out, sizeof out) == 3, "base64url of 3 bytes");
  CHECK(lictor_b64url_decode("AQ", 2, out, sizeof out) == 1, "one byte");
  CHECK(lictor_b64url_decode("AR", 2, out, sizeof out) == -1, "unused bits set");
  CHECK(lictor_b64url_decode("AQI", 3, out, sizeof out) == 2, "two bytes");
  CHECK(lictor_b64url_decode("AQJ", 3, out, sizeof out) == -1, "unused bits set (2 bytes)");
  CHECK(lictor_b64url_decode("A", 1, out, sizeof out) == -1, "length 1 mod 4");
  CHECK(lictor_b64url_decode("AQ==", 4, out, sizeof out) == -1, "no padding in base64url");
  CHECK(lictor_b64url_decode("+/8", 3, out, sizeof out) == -1, "standard alphabet refused");
  CHECK(lictor_b64url_decode("-_8", 3, out, sizeof out) == 2, "url alphabet");
  CHECK(lictor_b64_decode("AQ==", 4, out, sizeof out) == 1, "base64 padded");
  CHECK(lictor_b64_decode("AQI=", 4, out, sizeof out) == 2, "base64 one pad");
  CHECK(lictor_b64_decode("AQ=", 3, out, sizeof out) == -1, "length not a multiple of 4");
  CHECK(lictor_b64_decode("AR==", 4, out, sizeof out) == -1, "unused bits set");
  CHECK(lictor_b64_decode("A===", 4, out, sizeof out) == -1, "three pads");
  CHECK(lictor_b64_decode("====", 4, out, sizeof out) == -1, "only pads");
  CHECK(lictor_b64_decode("AQ=A", 4, out, sizeof out) == -1, "pad inside");
  CHECK(lictor_b64_decode("-_8A", 4, out, sizeof out) == -1, "url alphabet refused");
  CHECK(lictor_b64_decode("", 0, out, sizeof out) == 0, "empty");
}

int main(void) {
  json();
  text();
  encodings();
  return test_report("test_text");
}
