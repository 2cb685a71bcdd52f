package org.lictor.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader and writer with JavaScript's semantics, as Lictor's formats need them.
 *
 * <p>Values are {@code Map<String, Object>} (insertion order; the last of duplicate keys wins, as
 * {@code JSON.parse}), {@code List<Object>}, {@code String}, {@code Boolean}, {@code null}, and
 * numbers: a number that is a safe integer once read as a double (as JavaScript reads it) is a
 * {@code Long}, any other number a {@code Double}. {@link #canonical} writes the canonical form of
 * docs/spec/README.md ("Canonical JSON"): keys sorted by UTF-16 code units (Java's {@code
 * String.compareTo}), no white space, safe integers only.
 */
final class Json {
  private Json() {}

  /** The largest safe integer of JavaScript, 2^53 - 1. */
  static final long MAX_SAFE = 9007199254740991L;

  /** A value that has no canonical form (a fraction, a number beyond 2^53 - 1, another type). */
  static final class NotCanonicalException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    NotCanonicalException(String message) {
      super(message);
    }
  }

  /** Text that is not JSON. */
  static final class ParseException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ParseException(String message) {
      super(message);
    }
  }

  /** Parses JSON text as {@code JSON.parse} does; throws {@link ParseException}. */
  static Object parse(String text) {
    Reader r = new Reader(text);
    r.space();
    Object value = r.value(0);
    r.space();
    if (r.at != text.length()) throw r.fail("unexpected text after the value");
    return value;
  }

  private static final class Reader {
    final String s;
    int at;

    Reader(String s) {
      this.s = s;
    }

    ParseException fail(String what) {
      return new ParseException(what + " at offset " + at);
    }

    void space() {
      while (at < s.length()) {
        char c = s.charAt(at);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') at++;
        else break;
      }
    }

    Object value(int depth) {
      if (depth > 512) throw fail("nested too deeply");
      if (at >= s.length()) throw fail("unexpected end");
      char c = s.charAt(at);
      switch (c) {
        case '{':
          return object(depth);
        case '[':
          return array(depth);
        case '"':
          return string();
        case 't':
          return literal("true", Boolean.TRUE);
        case 'f':
          return literal("false", Boolean.FALSE);
        case 'n':
          return literal("null", null);
        default:
          if (c == '-' || (c >= '0' && c <= '9')) return number();
          throw fail("unexpected character");
      }
    }

    Object literal(String word, Object value) {
      if (!s.startsWith(word, at)) throw fail("unexpected character");
      at += word.length();
      return value;
    }

    Map<String, Object> object(int depth) {
      at++; // {
      Map<String, Object> out = new LinkedHashMap<>();
      space();
      if (at < s.length() && s.charAt(at) == '}') {
        at++;
        return out;
      }
      while (true) {
        space();
        if (at >= s.length() || s.charAt(at) != '"') throw fail("expected a key");
        String key = string();
        space();
        if (at >= s.length() || s.charAt(at) != ':') throw fail("expected ':'");
        at++;
        space();
        Object v = value(depth + 1);
        out.put(key, v); // JSON.parse: the last of duplicate keys wins, in the first one's place
        space();
        if (at >= s.length()) throw fail("unexpected end");
        char c = s.charAt(at++);
        if (c == '}') return out;
        if (c != ',') throw fail("expected ',' or '}'");
      }
    }

    List<Object> array(int depth) {
      at++; // [
      List<Object> out = new ArrayList<>();
      space();
      if (at < s.length() && s.charAt(at) == ']') {
        at++;
        return out;
      }
      while (true) {
        space();
        out.add(value(depth + 1));
        space();
        if (at >= s.length()) throw fail("unexpected end");
        char c = s.charAt(at++);
        if (c == ']') return out;
        if (c != ',') throw fail("expected ',' or ']'");
      }
    }

    String string() {
      at++; // "
      StringBuilder b = new StringBuilder();
      while (true) {
        if (at >= s.length()) throw fail("unterminated string");
        char c = s.charAt(at++);
        if (c == '"') return b.toString();
        if (c < 0x20) throw fail("control character in a string");
        if (c != '\\') {
          b.append(c);
          continue;
        }
        if (at >= s.length()) throw fail("unterminated string");
        char e = s.charAt(at++);
        switch (e) {
          case '"':
            b.append('"');
            break;
          case '\\':
            b.append('\\');
            break;
          case '/':
            b.append('/');
            break;
          case 'b':
            b.append('\b');
            break;
          case 'f':
            b.append('\f');
            break;
          case 'n':
            b.append('\n');
            break;
          case 'r':
            b.append('\r');
            break;
          case 't':
            b.append('\t');
            break;
          case 'u':
            if (at + 4 > s.length()) throw fail("bad \\u escape");
            int v = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(s.charAt(at + i), 16);
              if (d < 0 || s.charAt(at + i) > 'f') throw fail("bad \\u escape");
              v = v * 16 + d;
            }
            at += 4;
            b.append((char) v);
            break;
          default:
            throw fail("bad escape");
        }
      }
    }

    Object number() {
      int start = at;
      if (s.charAt(at) == '-') at++;
      if (at >= s.length()) throw fail("bad number");
      if (s.charAt(at) == '0') at++;
      else if (s.charAt(at) >= '1' && s.charAt(at) <= '9') digits();
      else throw fail("bad number");
      if (at < s.length() && s.charAt(at) == '.') {
        at++;
        if (digits() == 0) throw fail("bad number");
      }
      if (at < s.length() && (s.charAt(at) == 'e' || s.charAt(at) == 'E')) {
        at++;
        if (at < s.length() && (s.charAt(at) == '+' || s.charAt(at) == '-')) at++;
        if (digits() == 0) throw fail("bad number");
      }
      // JavaScript reads every number as a double.
      double d = Double.parseDouble(s.substring(start, at));
      if (isSafeInteger(d)) return (long) d;
      return d;
    }

    int digits() {
      int n = 0;
      while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') {
        at++;
        n++;
      }
      return n;
    }
  }

  /** {@code Number.isSafeInteger}. */
  static boolean isSafeInteger(double d) {
    return !Double.isNaN(d) && !Double.isInfinite(d) && Math.rint(d) == d && Math.abs(d) <= MAX_SAFE;
  }

  /** The canonical JSON of {@code value}; throws {@link NotCanonicalException}. */
  static String canonical(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, true);
    return b.toString();
  }

  /** Compact JSON of {@code value} (canonical where it can be; numbers as Java writes them). */
  static String write(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value, false);
    return b.toString();
  }

  private static void write(StringBuilder b, Object value, boolean canonical) {
    if (value == null) {
      b.append("null");
    } else if (value instanceof String) {
      quote(b, (String) value);
    } else if (value instanceof Boolean) {
      b.append(((Boolean) value) ? "true" : "false");
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      long n = ((Number) value).longValue();
      if (Math.abs(n) > MAX_SAFE) throw new NotCanonicalException("integer beyond 2^53 - 1: " + n);
      b.append(n);
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (isSafeInteger(d)) b.append((long) d);
      else if (canonical) throw new NotCanonicalException("canonical JSON allows safe integers only, got " + d);
      else if (Double.isNaN(d) || Double.isInfinite(d)) b.append("null");
      else b.append(d);
    } else if (value instanceof Map) {
      Map<?, ?> map = (Map<?, ?>) value;
      Object[] keys = map.keySet().toArray();
      for (Object k : keys) {
        if (!(k instanceof String)) throw new NotCanonicalException("object keys must be strings");
      }
      if (canonical) Arrays.sort(keys); // String.compareTo: UTF-16 code units, as JavaScript sorts
      b.append('{');
      boolean first = true;
      for (Object k : keys) {
        if (!first) b.append(',');
        first = false;
        quote(b, (String) k);
        b.append(':');
        write(b, map.get(k), canonical);
      }
      b.append('}');
    } else if (value instanceof List) {
      b.append('[');
      boolean first = true;
      for (Object item : (List<?>) value) {
        if (!first) b.append(',');
        first = false;
        write(b, item, canonical);
      }
      b.append(']');
    } else {
      throw new NotCanonicalException("JSON cannot encode a " + value.getClass().getName());
    }
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** A string as {@code JSON.stringify} writes it (well-formed: lone surrogates escaped). */
  static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          b.append("\\\"");
          break;
        case '\\':
          b.append("\\\\");
          break;
        case '\b':
          b.append("\\b");
          break;
        case '\t':
          b.append("\\t");
          break;
        case '\n':
          b.append("\\n");
          break;
        case '\f':
          b.append("\\f");
          break;
        case '\r':
          b.append("\\r");
          break;
        default:
          if (c < 0x20) {
            hex4(b, c);
          } else if (Character.isHighSurrogate(c)) {
            if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
              b.append(c).append(s.charAt(++i));
            } else {
              hex4(b, c);
            }
          } else if (Character.isLowSurrogate(c)) {
            hex4(b, c);
          } else {
            b.append(c);
          }
      }
    }
    b.append('"');
  }

  private static void hex4(StringBuilder b, char c) {
    b.append("\\u").append(HEX[(c >> 12) & 15]).append(HEX[(c >> 8) & 15]).append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
  }
}
