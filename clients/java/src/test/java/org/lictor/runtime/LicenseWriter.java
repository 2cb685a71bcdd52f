package org.lictor.runtime;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Writes license files as a License Center does (for the tests only: a client never signs): the
 * document's canonical JSON, signed by the vendor over its signed view (subject digest format 2
 * with container keys, else format 1), encrypted and armored.
 */
final class LicenseWriter {
  private LicenseWriter() {}

  static String seal(Map<String, Object> document, TestKeys vendor) {
    byte[] salt = new byte[16];
    byte[] iv = new byte[12];
    SecureRandom random = new SecureRandom();
    random.nextBytes(salt);
    random.nextBytes(iv);
    return seal(document, vendor, salt, iv);
  }

  static String seal(Map<String, Object> document, TestKeys vendor, byte[] salt, byte[] iv) {
    LicenseDocument.Read read = LicenseDocument.read(Json.parse(Json.write(document)));
    byte[] keyId = java.util.Arrays.copyOf(Crypto.sha256(vendor.publicRaw), 8);
    byte[] signed =
        Bytes.concat(Bytes.utf8("lictor/v1/license\0"), keyId, Bytes.utf8(Json.canonical(read.views.get(0))));
    byte[] signature = vendor.sign(signed);
    byte[] payload = Bytes.utf8(Json.canonical(document));
    byte[] header = Bytes.concat(new byte[] {'L', 'C', 'T', 'R', 1, 1}, keyId, salt, iv);
    byte[] key = Crypto.hkdf(vendor.publicRaw, salt, "lictor/v1/license", 32);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
      cipher.updateAAD(header);
      byte[] sealed = cipher.doFinal(Bytes.concat(signature, payload));
      return armor(Bytes.concat(header, sealed));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String armor(byte[] bytes) {
    String b64 = Bytes.toBase64(bytes);
    StringBuilder out = new StringBuilder("-----BEGIN LICTOR LICENSE-----\n");
    for (int i = 0; i < b64.length(); i += 64) out.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    return out.append("-----END LICTOR LICENSE-----\n").toString();
  }
}
