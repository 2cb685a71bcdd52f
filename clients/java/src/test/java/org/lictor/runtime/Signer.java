package org.lictor.runtime;

import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a genuine runtime holds, for the fake runtimes of the tests: a license file of a vendor
 * with a container key, and that container's private key, which signs answers as the runtime does
 * ({@code signRuntimeAnswer}: the statement's canonical JSON, signed after the domain and a NUL).
 */
final class Signer {
  final TestKeys vendor;
  final TestKeys container;
  final String containerId;
  final String license;
  /** The container's X25519 private scalar (its {@code containerKeys.box}'s), or {@code null}. */
  final byte[] boxPrivate;

  Signer(TestKeys vendor, TestKeys container, String containerId, String license) {
    this(vendor, container, containerId, license, null);
  }

  Signer(TestKeys vendor, TestKeys container, String containerId, String license, byte[] boxPrivate) {
    this.vendor = vendor;
    this.container = container;
    this.containerId = containerId;
    this.license = license;
    this.boxPrivate = boxPrivate;
  }

  /** A license of {@code vendor} for {@code product} with features, expiring at {@code expiresAt} (or never). */
  static Signer license(TestKeys vendor, String product, List<String> features, String expiresAt) {
    TestKeys container = TestKeys.fresh();
    String containerId = "c-" + Bytes.toHex(random(8));
    Map<String, Object> doc = document(containerId, product, features, expiresAt);
    Map<String, Object> keys = new LinkedHashMap<>();
    keys.put("sign", container.publicBase64Url());
    byte[] boxPrivate = random(32);
    keys.put("box", Bytes.toBase64Url(Crypto.x25519Public(boxPrivate)));
    doc.put("containerKeys", keys);
    return new Signer(vendor, container, containerId, LicenseWriter.seal(doc, vendor), boxPrivate);
  }

  /**
   * This license after a remote upgrade: the same container (id, signing and X25519 keys), a new
   * text for {@code product} with features, expiring at {@code expiresAt} (or never).
   */
  Signer upgraded(String product, List<String> features, String expiresAt) {
    return upgraded(product, features, expiresAt, boxPrivate);
  }

  /** Likewise, with the X25519 private scalar {@code box} (another one: the container re-keyed). */
  Signer upgraded(String product, List<String> features, String expiresAt, byte[] boxPrivate) {
    Map<String, Object> doc = document(containerId, product, features, expiresAt);
    doc.put("issuedAt", "2026-03-01T00:00:00.000Z");
    doc.put("counter", 1L);
    Map<String, Object> keys = new LinkedHashMap<>();
    keys.put("sign", container.publicBase64Url());
    keys.put("box", Bytes.toBase64Url(Crypto.x25519Public(boxPrivate)));
    doc.put("containerKeys", keys);
    return new Signer(vendor, container, containerId, LicenseWriter.seal(doc, vendor), boxPrivate);
  }

  /** A license document bound to a computer (not this one: the client does not compare hardware). */
  static Map<String, Object> document(String containerId, String product, List<String> features, String expiresAt) {
    Map<String, Object> hw = new LinkedHashMap<>();
    hw.put("platform", "linux");
    hw.put("osName", "Debian GNU/Linux");
    hw.put("osVersion", "12");
    hw.put("hostname", "ws-042");
    hw.put("board", "ASUSTeK PRIME B650");
    hw.put("ramBytes", 17179869184L);
    hw.put("bios", "AMI 1.2.3");
    hw.put("cpus", List.of("AMD Ryzen 7 7700 (8 cores)"));
    hw.put("nics", List.of("52:54:00:12:34:42"));
    hw.put("disks", List.of("S6PNNS0W424242"));
    Map<String, Object> binding = new LinkedHashMap<>();
    binding.put("kind", "hardware");
    binding.put("hardware", hw);
    List<Object> feats = new java.util.ArrayList<>();
    for (String f : features) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("code", f);
      g.put("users", null);
      feats.add(g);
    }
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("product", product);
    entry.put("type", "single");
    entry.put("users", 1L);
    entry.put("sessions", null);
    entry.put("arch", null);
    entry.put("expiresAt", expiresAt);
    entry.put("features", feats);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", 1L);
    doc.put("containerId", containerId);
    doc.put("activationId", "a-" + containerId);
    doc.put("serial", "LX-TEST-" + containerId.substring(2, 6).toUpperCase());
    doc.put("pin", 1L);
    doc.put("issuedAt", "2026-01-01T00:00:00.000Z");
    doc.put("counter", 0L);
    doc.put("owner", Map.of("company", "Initech", "email", "it@initech.example"));
    doc.put("binding", binding);
    doc.put("licenses", List.of(entry));
    return doc;
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  /** The statement a runtime signs. */
  String statement(String purpose, String nonce, Object answer) {
    return statement(containerId, purpose, nonce, answer);
  }

  /** The statement a runtime signs or MACs for {@code container}. */
  static String statement(String container, String purpose, String nonce, Object answer) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("answer", answer);
    s.put("container", container);
    s.put("nonce", nonce);
    s.put("purpose", purpose);
    return Json.canonical(s);
  }

  /** {@code proof} for {@code answer} to the request that carried {@code nonce}. */
  Map<String, Object> proof(String purpose, String nonce, Object answer) {
    return proofOf(statement(purpose, nonce, answer));
  }

  /** {@code proof} over the statement text {@code signed}, as given. */
  Map<String, Object> proofOf(String signed) {
    byte[] signature = container.sign(Bytes.utf8(SignedAnswers.DOMAIN + "\0" + signed));
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("license", license);
    p.put("key", "container");
    p.put("signature", Bytes.toBase64Url(signature));
    p.put("signed", signed);
    return p;
  }

  /**
   * Opens a session secret sealed to this container's X25519 key ({@code openFromContainer} of
   * docs/spec/remote-upgrade.md), as a genuine runtime does; {@code null} if it does not open.
   */
  byte[] openSealed(String sealed) {
    return openSealed(boxPrivate, sealed, SignedAnswers.SESSION_CONTEXT);
  }

  static byte[] openSealed(byte[] boxPrivate, String sealed, String context) {
    byte[] bytes = Bytes.fromBase64Url(sealed);
    if (boxPrivate == null || bytes == null || bytes.length < 32 + 12 + 16) return null;
    byte[] ephemeral = Bytes.slice(bytes, 0, 32);
    byte[] shared = Crypto.x25519(boxPrivate, ephemeral);
    if (shared == null) return null;
    byte[] key = Crypto.hkdf(shared, ephemeral, "lictor/v1/seal/" + context, 32);
    return Crypto.aesGcmOpen(key, Bytes.slice(bytes, 32, 44), Bytes.slice(bytes, 44, bytes.length), Bytes.utf8(context));
  }

  /** {@code proof} of {@code answer} within a session: MAC'd under {@code secret}, naming {@code container}. */
  static Map<String, Object> macProof(byte[] secret, String purpose, String container, String nonce, Object answer) {
    String signed = statement(container, purpose, nonce, answer);
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("key", "session");
    p.put("mac", Bytes.toBase64Url(Crypto.hmacSha256(secret, Bytes.utf8(SignedAnswers.DOMAIN + "\0" + signed))));
    p.put("signed", signed);
    return p;
  }

  /** {@code answer} with its proof, as a genuine runtime sends it. */
  Map<String, Object> signed(String purpose, String nonce, Map<String, Object> answer) {
    Map<String, Object> out = new LinkedHashMap<>(answer);
    out.put("proof", proof(purpose, nonce, answer));
    return out;
  }
}
