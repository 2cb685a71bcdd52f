package org.lictor.runtime;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** The primitives of the formats, from the JDK: SHA-256, HMAC, HKDF, AES-256-GCM, Ed25519, X25519. */
final class Crypto {
  private Crypto() {}

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] hmacSha256(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      // An empty HMAC key is valid (RFC 2104) but SecretKeySpec refuses it; HMAC pads it to zeros.
      mac.init(new SecretKeySpec(key.length == 0 ? new byte[64] : key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HKDF-SHA256 (RFC 5869), at most 32 * 255 bytes. */
  static byte[] hkdf(byte[] ikm, byte[] salt, String info, int length) {
    byte[] prk = hmacSha256(salt, ikm);
    byte[] infoBytes = Bytes.utf8(info);
    byte[] out = new byte[length];
    byte[] t = new byte[0];
    int at = 0;
    for (int i = 1; at < length; i++) {
      t = hmacSha256(prk, Bytes.concat(t, infoBytes, new byte[] {(byte) i}));
      int n = Math.min(t.length, length - at);
      System.arraycopy(t, 0, out, at, n);
      at += n;
    }
    return out;
  }

  /** Whether {@code a} and {@code b} are equal, in time independent of where they differ. */
  static boolean constantTimeEqual(byte[] a, byte[] b) {
    return a != null && b != null && MessageDigest.isEqual(a, b);
  }

  /** Seals AES-256-GCM (12-byte iv): ciphertext followed by the 16-byte tag. */
  static byte[] aesGcmSeal(byte[] key, byte[] iv, byte[] plaintext, byte[] aad) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
      cipher.updateAAD(aad);
      return cipher.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The X25519 base point, u = 9. */
  private static final byte[] X25519_BASE = new byte[32];

  static {
    X25519_BASE[0] = 9;
  }

  /**
   * X25519 (RFC 7748) of the 32-byte scalar and the 32-byte u-coordinate, both raw (little-endian);
   * {@code null} when the JDK refuses it (an all-zero shared secret: a low-order point).
   */
  static byte[] x25519(byte[] scalar, byte[] u) {
    if (scalar == null || u == null || scalar.length != 32 || u.length != 32) return null;
    byte[] be = new byte[32];
    for (int i = 0; i < 32; i++) be[i] = u[31 - i]; // little-endian to big-endian
    be[0] &= 0x7f; // RFC 7748: the top bit of u is ignored
    try {
      KeyFactory factory = KeyFactory.getInstance("XDH");
      KeyAgreement agreement = KeyAgreement.getInstance("XDH");
      agreement.init(factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone())));
      agreement.doPhase(factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be))), true);
      return agreement.generateSecret();
    } catch (GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  /** The raw X25519 public key of a 32-byte private scalar. */
  static byte[] x25519Public(byte[] scalar) {
    return x25519(scalar, X25519_BASE);
  }

  /**
   * {@code sealToContainer} of docs/spec/remote-upgrade.md ("The secret sealed to the container"):
   * a fresh X25519 key pair (e, E), {@code shared = X25519(e, boxPublic)}, {@code key =
   * HKDF-SHA256(shared, salt E, info "lictor/v1/seal/<context>", 32)}, a random 12-byte iv, and
   * {@code base64url(E ‖ iv ‖ AES-256-GCM(key, iv, secret, aad = UTF-8(context)))}. {@code null}
   * when the box key is not one (a low-order point).
   */
  static String sealToContainer(byte[] boxPublic, byte[] secret, String context, SecureRandom random) {
    byte[] ephemeral = new byte[32];
    byte[] iv = new byte[12];
    random.nextBytes(ephemeral);
    random.nextBytes(iv);
    try {
      return sealToContainer(boxPublic, secret, context, ephemeral, iv);
    } finally {
      Arrays.fill(ephemeral, (byte) 0);
    }
  }

  /** {@link #sealToContainer(byte[], byte[], String, SecureRandom)} with the ephemeral scalar and iv given (test vectors). */
  static String sealToContainer(byte[] boxPublic, byte[] secret, String context, byte[] ephemeral, byte[] iv) {
    byte[] ephemeralPublic = x25519Public(ephemeral);
    byte[] shared = x25519(ephemeral, boxPublic);
    if (ephemeralPublic == null || shared == null) return null;
    byte[] key = hkdf(shared, ephemeralPublic, "lictor/v1/seal/" + context, 32);
    byte[] sealed = aesGcmSeal(key, iv, secret, Bytes.utf8(context));
    Arrays.fill(shared, (byte) 0);
    Arrays.fill(key, (byte) 0);
    return Bytes.toBase64Url(Bytes.concat(ephemeralPublic, iv, sealed));
  }

  /** Opens AES-256-GCM (12-byte iv, 16-byte tag appended); {@code null} when it does not open. */
  static byte[] aesGcmOpen(byte[] key, byte[] iv, byte[] sealed, byte[] aad) {
    if (sealed.length < 16 || iv.length != 12 || key.length != 32) return null;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
      cipher.updateAAD(aad);
      return cipher.doFinal(sealed);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The X.509 (SubjectPublicKeyInfo) prefix of a raw Ed25519 public key (RFC 8410). */
  private static final byte[] ED25519_SPKI = Bytes.fromHex("302a300506032b6570032100");

  /** The group order L of Ed25519. */
  private static final BigInteger L =
      BigInteger.ONE.shiftLeft(252).add(new BigInteger("27742317777372353535851937790883648493"));

  /** A raw 32-byte Ed25519 public key as a JDK key; {@code null} when the JDK refuses it. */
  static PublicKey ed25519PublicKey(byte[] raw) {
    if (raw == null || raw.length != 32) return null;
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Bytes.concat(ED25519_SPKI, raw)));
    } catch (GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Ed25519 verification (RFC 8032, pure), with OpenSSL's rule that S is below the group order
   * (checked here, whatever the JDK does).
   */
  static boolean ed25519Verify(PublicKey key, byte[] message, byte[] signature) {
    if (key == null || signature == null || signature.length != 64) return false;
    byte[] s = new byte[32];
    for (int i = 0; i < 32; i++) s[i] = signature[63 - i]; // little-endian to big-endian
    if (new BigInteger(1, s).compareTo(L) >= 0) return false;
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  static boolean ed25519Verify(byte[] rawKey, byte[] message, byte[] signature) {
    return ed25519Verify(ed25519PublicKey(rawKey), message, signature);
  }
}
