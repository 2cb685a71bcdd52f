package org.lictor.runtime;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/** Byte encodings of docs/spec/README.md ("Encodings"), strict as the spec requires. */
final class Bytes {
  private Bytes() {}

  /** base64url without padding. */
  static String toBase64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * Canonical base64url without padding; {@code null} for any other character, a length of 1 mod
   * 4, or unused low bits that are not zero.
   */
  static byte[] fromBase64Url(String text) {
    if (text == null || text.length() % 4 == 1) return null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return null;
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return toBase64Url(bytes).equals(text) ? bytes : null;
  }

  /** Canonical standard base64 with padding; {@code null} otherwise. */
  static byte[] fromBase64(String text) {
    if (text.length() % 4 != 0) return null;
    int pad = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '=') {
        pad++;
        continue;
      }
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
      if (!ok || pad > 0) return null;
    }
    if (pad > 2) return null;
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return Base64.getEncoder().encodeToString(bytes).equals(text) ? bytes : null;
  }

  static String toBase64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** Lower-case hex. */
  static String toHex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 15];
      out[2 * i + 1] = HEX[bytes[i] & 15];
    }
    return new String(out);
  }

  /** Hex (either case) to bytes; throws on odd length or other characters. */
  static byte[] fromHex(String hex) {
    if (hex.length() % 2 != 0) throw new IllegalArgumentException("odd hex length");
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = Character.digit(hex.charAt(2 * i), 16);
      int lo = Character.digit(hex.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) throw new IllegalArgumentException("not hex");
      out[i] = (byte) ((hi << 4) | lo);
    }
    return out;
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Strict UTF-8 (as {@code new TextDecoder('utf-8', {fatal: true})}: a leading byte order mark
   * is dropped); {@code null} on an invalid sequence.
   */
  static String fromUtf8(byte[] bytes, int offset, int length) {
    if (length >= 3 && (bytes[offset] & 0xff) == 0xef && (bytes[offset + 1] & 0xff) == 0xbb && (bytes[offset + 2] & 0xff) == 0xbf) {
      offset += 3;
      length -= 3;
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, offset, length))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) n += p.length;
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  static byte[] slice(byte[] bytes, int from, int to) {
    return Arrays.copyOfRange(bytes, from, to);
  }

  /** JavaScript's white space ({@code \s}: white space and line terminators). */
  static boolean isJsSpace(char c) {
    switch (c) {
      case '\t':
      case '\n':
      case 0x0b:
      case '\f':
      case '\r':
      case ' ':
      case 0xa0:
      case 0x1680:
      case 0x2028:
      case 0x2029:
      case 0x202f:
      case 0x205f:
      case 0x3000:
      case 0xfeff:
        return true;
      default:
        return c >= 0x2000 && c <= 0x200a;
    }
  }

  /** {@code String.prototype.trim}. */
  static String jsTrim(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && isJsSpace(s.charAt(a))) a++;
    while (b > a && isJsSpace(s.charAt(b - 1))) b--;
    return s.substring(a, b);
  }

  /** {@code s.replace(/\s+/g, ' ').trim()}: the spec's {@code clean}. */
  static String jsClean(String s) {
    StringBuilder b = new StringBuilder(s.length());
    boolean inSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (isJsSpace(c)) {
        if (!inSpace) b.append(' ');
        inSpace = true;
      } else {
        b.append(c);
        inSpace = false;
      }
    }
    return jsTrim(b.toString());
  }
}
