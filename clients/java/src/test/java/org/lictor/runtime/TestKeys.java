package org.lictor.runtime;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;

/** Ed25519 keys for the tests: from a 32-byte seed (RFC 8032 private key), or fresh. */
final class TestKeys {
  final PrivateKey privateKey;
  final byte[] publicRaw;

  private TestKeys(PrivateKey privateKey, byte[] publicRaw) {
    this.privateKey = privateKey;
    this.publicRaw = publicRaw;
  }

  /** The key of {@code seed}. */
  static TestKeys fromSeed(byte[] seed) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(NamedParameterSpec.ED25519, new FixedRandom(seed));
      KeyPair pair = g.generateKeyPair();
      byte[] spki = pair.getPublic().getEncoded();
      // The private key from its PKCS#8 form (RFC 8410), as the center stores it.
      PrivateKey priv =
          KeyFactory.getInstance("Ed25519")
              .generatePrivate(new PKCS8EncodedKeySpec(Bytes.concat(Bytes.fromHex("302e020100300506032b657004220420"), seed)));
      return new TestKeys(priv, Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static TestKeys fresh() {
    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    return fromSeed(seed);
  }

  byte[] sign(byte[] message) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  String publicBase64Url() {
    return Bytes.toBase64Url(publicRaw);
  }

  VendorKey vendorKey() {
    return VendorKey.parse("lictor-ed25519:" + publicBase64Url());
  }

  /** Gives the seed as the "random" bytes of key generation. */
  private static final class FixedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] seed;

    FixedRandom(byte[] seed) {
      this.seed = seed.clone();
    }

    @Override
    public void nextBytes(byte[] bytes) {
      System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
    }
  }
}
