package org.lictor.runtime;

import java.security.MessageDigest;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens license files with the vendor public key exactly as docs/spec/license-file.md says:
 * armor, envelope header, vendor key id, HKDF-SHA256 and AES-256-GCM, strict UTF-8 JSON, the
 * document's shape, and the vendor's Ed25519 signature over the signed view rebuilt from the
 * checked fields (subject digest format 2, then format 1, for a license with container keys).
 * Each defect is refused with the spec's code, in the spec's order.
 */
public final class LicenseFile {
  private LicenseFile() {}

  static final int MAX_ARMORED_LENGTH = 1024 * 1024;
  private static final byte[] MAGIC = {'L', 'C', 'T', 'R'};
  private static final int HEADER_LENGTH = 42;
  private static final int SIGNATURE_LENGTH = 64;
  private static final int TAG_LENGTH = 16;
  private static final int KIND_LICENSE = 1;
  private static final Pattern OTHER_BLOCK = Pattern.compile("-----BEGIN (LICTOR [A-Z ]+)-----");

  /**
   * Verifies, decrypts and checks a license file; throws {@link LictorException} with
   * {@code LICTOR_E_FILE_FORMAT}, {@code _FILE_TRUNCATED}, {@code _FILE_VERSION},
   * {@code _WRONG_VENDOR}, {@code _FILE_TAMPERED} or {@code _SIGNATURE_INVALID}.
   */
  public static LicenseDocument open(String text, VendorKey vendorKey) {
    byte[] bytes = dearmor(text);
    if (bytes.length < HEADER_LENGTH + SIGNATURE_LENGTH + TAG_LENGTH) {
      if (bytes.length >= 4 && !MessageDigest.isEqual(Bytes.slice(bytes, 0, 4), MAGIC)) {
        throw new LictorException("LICTOR_E_FILE_FORMAT", "not a Lictor license file");
      }
      throw new LictorException(
          "LICTOR_E_FILE_TRUNCATED", "the license file is truncated (" + bytes.length + " bytes)");
    }
    if (!MessageDigest.isEqual(Bytes.slice(bytes, 0, 4), MAGIC)) {
      throw new LictorException("LICTOR_E_FILE_FORMAT", "not a Lictor license file");
    }
    if (bytes[4] != 1) {
      throw new LictorException(
          "LICTOR_E_FILE_VERSION",
          "the license file has format version " + (bytes[4] & 0xff) + "; this client reads version 1: upgrade it");
    }
    if (bytes[5] != KIND_LICENSE) {
      throw new LictorException("LICTOR_E_FILE_FORMAT", "the block holds another kind of document, not a license");
    }
    byte[] keyId = Bytes.slice(bytes, 6, 14);
    if (!MessageDigest.isEqual(keyId, vendorKey.keyIdUnsafe())) {
      throw new LictorException(
          "LICTOR_E_WRONG_VENDOR",
          "the license file was issued with vendor key "
              + Bytes.toHex(keyId)
              + ", not with this application's key "
              + vendorKey.keyIdHex());
    }
    byte[] header = Bytes.slice(bytes, 0, HEADER_LENGTH);
    byte[] salt = Bytes.slice(bytes, 14, 30);
    byte[] iv = Bytes.slice(bytes, 30, HEADER_LENGTH);
    byte[] key = Crypto.hkdf(vendorKey.rawUnsafe(), salt, "lictor/v1/license", 32);
    byte[] plain = Crypto.aesGcmOpen(key, iv, Bytes.slice(bytes, HEADER_LENGTH, bytes.length), header);
    if (plain == null) {
      throw new LictorException("LICTOR_E_FILE_TAMPERED", "the license file was altered or corrupted; obtain it again");
    }
    byte[] signature = Bytes.slice(plain, 0, SIGNATURE_LENGTH);
    String json = Bytes.fromUtf8(plain, SIGNATURE_LENGTH, plain.length - SIGNATURE_LENGTH);
    Object payload;
    try {
      if (json == null) throw new Json.ParseException("not UTF-8");
      payload = Json.parse(json);
    } catch (Json.ParseException e) {
      throw new LictorException("LICTOR_E_FILE_FORMAT", "the license file's contents are not valid JSON");
    }
    LicenseDocument.Read read = LicenseDocument.read(payload);
    byte[] prefix = Bytes.concat(Bytes.utf8("lictor/v1/license\0"), keyId);
    for (Map<String, Object> view : read.views) {
      String canonical;
      try {
        canonical = Json.canonical(view);
      } catch (Json.NotCanonicalException e) {
        continue;
      }
      if (vendorKey.verify(Bytes.concat(prefix, Bytes.utf8(canonical)), signature)) return read.document;
    }
    throw new LictorException("LICTOR_E_SIGNATURE_INVALID", "the license file is not signed by the vendor");
  }

  /** The bytes of the first LICENSE block of {@code text} (docs/spec/license-file.md, "Armor"). */
  static byte[] dearmor(String text) {
    if (text.length() > MAX_ARMORED_LENGTH) {
      throw new LictorException(
          "LICTOR_E_FILE_FORMAT", "the text is longer than " + MAX_ARMORED_LENGTH + " characters");
    }
    String begin = "-----BEGIN LICTOR LICENSE-----";
    String end = "-----END LICTOR LICENSE-----";
    int start = text.indexOf(begin);
    if (start < 0) {
      Matcher other = OTHER_BLOCK.matcher(text);
      throw new LictorException(
          "LICTOR_E_FILE_FORMAT",
          other.find()
              ? "this is a " + other.group(1) + " block, not a LICTOR LICENSE block"
              : "no '" + begin + "' line found: this is not a Lictor license file");
    }
    int stop = text.indexOf(end, start + begin.length());
    if (stop < 0) {
      throw new LictorException(
          "LICTOR_E_FILE_TRUNCATED", "the '" + end + "' line is missing: the license file is truncated");
    }
    String body = text.substring(start + begin.length(), stop);
    String[] lines = body.split("\r\n|\r|\n", -1);
    StringBuilder b64 = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      String raw = lines[i];
      int a = 0;
      while (a < raw.length() && (raw.charAt(a) == '>' || Bytes.isJsSpace(raw.charAt(a)))) a++;
      for (int j = a; j < raw.length(); j++) {
        char c = raw.charAt(j);
        if (Bytes.isJsSpace(c)) continue;
        boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
        if (!ok) {
          throw new LictorException(
              "LICTOR_E_FILE_FORMAT", "unexpected characters in line " + (i + 1) + " of the license block");
        }
        b64.append(c);
      }
    }
    byte[] bytes = Bytes.fromBase64(b64.toString());
    if (bytes == null) {
      throw new LictorException(
          "LICTOR_E_FILE_FORMAT", "the license block is not valid base64 (a character was changed)");
    }
    return bytes;
  }
}
