package org.lictor.runtime;

import java.security.PublicKey;
import java.util.Arrays;

/**
 * The vendor's public key the application embeds: {@code lictor-ed25519:<base64url of 32 bytes>}
 * (docs/spec/license-file.md, "The vendor key"). Licenses, and through them every signed answer,
 * are trusted only when this key verifies them.
 */
public final class VendorKey {
  private static final String PREFIX = "lictor-ed25519:";

  private final byte[] raw;
  private final byte[] keyId;
  private final String text;
  private final PublicKey publicKey;

  private VendorKey(byte[] raw, PublicKey publicKey) {
    this.raw = raw;
    this.keyId = Arrays.copyOf(Crypto.sha256(raw), 8);
    this.text = PREFIX + Bytes.toBase64Url(raw);
    this.publicKey = publicKey;
  }

  /**
   * Parses the text form (white space around it is ignored); {@code LICTOR_E_PUBLIC_KEY_INVALID}
   * for anything without the prefix, not canonical base64url, or not 32 bytes.
   */
  public static VendorKey parse(String text) {
    if (text == null) {
      throw new LictorException("LICTOR_E_PUBLIC_KEY_INVALID", "no vendor public key given (lictor-ed25519:…)");
    }
    String t = Bytes.jsTrim(text);
    if (!t.startsWith(PREFIX)) {
      throw new LictorException(
          "LICTOR_E_PUBLIC_KEY_INVALID", "a vendor public key starts with '" + PREFIX + "'");
    }
    byte[] raw = Bytes.fromBase64Url(t.substring(PREFIX.length()));
    if (raw == null || raw.length != 32) {
      throw new LictorException(
          "LICTOR_E_PUBLIC_KEY_INVALID", "the vendor public key is not base64url of 32 bytes");
    }
    PublicKey key = Crypto.ed25519PublicKey(raw);
    if (key == null) {
      throw new LictorException("LICTOR_E_PUBLIC_KEY_INVALID", "the vendor public key is not an Ed25519 key");
    }
    return new VendorKey(raw, key);
  }

  /** The 32-byte raw public key (a copy). */
  public byte[] raw() {
    return raw.clone();
  }

  /** The key id, SHA-256 of the raw key, first 8 bytes (a copy). */
  public byte[] keyId() {
    return keyId.clone();
  }

  /** The key id in hex, as the runtime's status shows it ({@code vendorKeyId}). */
  public String keyIdHex() {
    return Bytes.toHex(keyId);
  }

  /** The text form, {@code lictor-ed25519:…}. */
  public String text() {
    return text;
  }

  /** Whether {@code signature} is this key's Ed25519 signature of {@code message}. */
  public boolean verify(byte[] message, byte[] signature) {
    return Crypto.ed25519Verify(publicKey, message, signature);
  }

  byte[] rawUnsafe() {
    return raw;
  }

  byte[] keyIdUnsafe() {
    return keyId;
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VendorKey && Arrays.equals(raw, ((VendorKey) o).raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }
}
