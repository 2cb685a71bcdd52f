package org.lictor.runtime;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies the runtime's signed answers with the vendor public key alone, as {@code
 * verifyRuntimeAnswer} of {@code packages/protocol/src/runtime-answer.ts} does. An answer that
 * grants (a check, a session, a seat) carries {@code proof: { license, key: "container",
 * signature, signed }}:
 *
 * <ol>
 *   <li>{@code proof} present ({@code missing}) and of the right shape ({@code malformed});
 *   <li>{@code license} opens with the vendor key ({@code license}, with {@code details.cause})
 *       and names a container key ({@code no-key});
 *   <li>the Ed25519 {@code signature} verifies with that container key over {@code
 *       "lictor/v1/signed-answer" ‖ 0x00 ‖ UTF-8(signed)} ({@code signature});
 *   <li>{@code signed} parses to {@code { answer, container, nonce, purpose }} ({@code malformed})
 *       naming this license's container, this request's nonce and the expected purpose ({@code
 *       signature}: a replayed answer);
 *   <li>the signed answer is about the product and feature asked for, and the license holds an
 *       unexpired entry for them by the local clock ({@code not-covered});
 *   <li>the answer's own fields are the signed ones ({@code signature}).
 * </ol>
 *
 * Within an answer session (docs/spec/signed-answers.md, "Sessions with the runtime"), an answer
 * may instead carry {@code proof: { key: "session", mac, signed }}: steps 2 and 3 become: the proof
 * has that shape ({@code malformed}); the request named a session and the purpose is not {@code
 * lease} ({@code signature}); HMAC-SHA256 under the session's secret over {@code
 * "lictor/v1/signed-answer" ‖ 0x00 ‖ UTF-8(signed)} equals {@code mac}, compared in constant time
 * ({@code signature}). The license is then the session's: the statement must name its container.
 *
 * <p>Anything else is {@code LICTOR_E_ANSWER_UNPROVEN} with {@code details.reason} the fault. The
 * caller takes its values from the returned, signed answer.
 */
final class SignedAnswers {
  private SignedAnswers() {}

  static final String DOMAIN = "lictor/v1/signed-answer";
  static final String CHECK = "runtime-check";
  static final String SESSION = "runtime-session";
  /** A seat is the License Manager's lease answer, forwarded by the runtime. */
  static final String SEAT = "lease";

  static final int MAX_LICENSE_LENGTH = 64 * 1024;
  static final int MAX_SIGNED_LENGTH = 16 * 1024;

  /** The context a session secret is sealed with. */
  static final String SESSION_CONTEXT = "signed-answer-session";
  /** The request header that names the client's session: {@code <id>} or {@code <id>.<sealed>}. */
  static final String SESSION_HEADER = "lictor-session";
  /** Bytes of a session secret. */
  static final int SESSION_SECRET_BYTES = 32;

  /**
   * A client's answer session: the secret it sealed (never sent but sealed), the license (verified
   * with the vendor key) whose container key it was sealed to, the sealed text and its id.
   */
  static final class AnswerSession {
    final String id;
    final String sealed;
    final LicenseDocument license;
    private final byte[] secret;

    AnswerSession(byte[] secret, String sealed, LicenseDocument license) {
      this.secret = secret.clone();
      this.sealed = sealed;
      this.id = sessionId(sealed);
      this.license = license;
    }

    /**
     * A session with {@code license}: a fresh 32-byte secret from {@code random}, sealed to its
     * {@code containerKeys.box}; {@code null} when the license has no usable X25519 key.
     */
    static AnswerSession open(LicenseDocument license, SecureRandom random) {
      LicenseDocument.ContainerKeys keys = license.containerKeys();
      byte[] box = keys == null || keys.box() == null ? null : Bytes.fromBase64Url(keys.box());
      if (box == null || box.length != 32) return null;
      byte[] secret = new byte[SESSION_SECRET_BYTES];
      random.nextBytes(secret);
      try {
        String sealed = Crypto.sealToContainer(box, secret, SESSION_CONTEXT, random);
        return sealed == null ? null : new AnswerSession(secret, sealed, license);
      } finally {
        Arrays.fill(secret, (byte) 0);
      }
    }

    /**
     * This session (the same secret, sealed text and id) with {@code upgraded}, a newer license of
     * the same container (a remote upgrade keeps the container's keys); {@code null} when {@code
     * upgraded} names another container or another {@code containerKeys.box} (the runtime could not
     * open this secret under it).
     */
    AnswerSession withLicense(LicenseDocument upgraded) {
      LicenseDocument.ContainerKeys was = license.containerKeys();
      LicenseDocument.ContainerKeys now = upgraded.containerKeys();
      if (!license.containerId().equals(upgraded.containerId())
          || was == null
          || now == null
          || !Objects.equals(was.box(), now.box())) return null;
      return new AnswerSession(secret, sealed, upgraded);
    }

    /** HMAC-SHA256 under the secret. */
    byte[] mac(byte[] data) {
      return Crypto.hmacSha256(secret, data);
    }
  }

  /** The id of a session: base64url of the first 16 bytes of SHA-256 of its sealed secret. */
  static String sessionId(String sealed) {
    return Bytes.toBase64Url(Arrays.copyOf(Crypto.sha256(Bytes.utf8(sealed)), 16));
  }

  /** A verified answer: the answer as signed, the license that proves it, and whether it came MAC'd. */
  static final class Verified {
    final Map<String, Object> answer;
    final LicenseDocument license;
    /** Proven by a MAC under the client's session rather than the container key's signature. */
    final boolean macd;

    Verified(Map<String, Object> answer, LicenseDocument license, boolean macd) {
      this.answer = answer;
      this.license = license;
      this.macd = macd;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asObject(Object o) {
    return o instanceof Map ? (Map<String, Object>) o : null;
  }

  /** Whether {@code v} is a string of at most {@code max} characters. */
  private static boolean isText(Object v, int max) {
    return v instanceof String && ((String) v).length() <= max;
  }

  /** Whether {@code v} is non-empty base64url text of at most {@code max} characters. */
  private static boolean isBase64UrlText(Object v, int max) {
    return isText(v, max) && isBase64UrlText((String) v);
  }

  /** What a proof's signature or MAC covers: {@code "lictor/v1/signed-answer" ‖ 0x00 ‖ UTF-8(signed)}. */
  private static byte[] signingInput(String signed) {
    return Bytes.utf8(DOMAIN + "\0" + signed);
  }

  private static boolean isBase64UrlText(String s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    }
    return true;
  }

  static Verified verify(
      VendorKey vendorKey,
      String purpose,
      String nonce,
      Object received,
      String product,
      String feature,
      long nowMillis) {
    return verify(vendorKey, purpose, nonce, received, product, feature, nowMillis, null);
  }

  /**
   * {@link #verify(VendorKey, String, String, Object, String, String, long)} of the answer to a
   * request that named {@code session} (header {@code lictor-session}; {@code null}: none): an
   * answer MAC'd under it is accepted too.
   */
  static Verified verify(
      VendorKey vendorKey,
      String purpose,
      String nonce,
      Object received,
      String product,
      String feature,
      long nowMillis,
      AnswerSession session) {
    Map<String, Object> answer = asObject(received);
    Object proofValue = answer == null ? null : answer.get("proof");
    if (proofValue == null) {
      Map<String, Object> unproven = answer == null ? null : asObject(answer.get("unproven"));
      Object why = unproven == null ? null : unproven.get("message");
      Object reason = unproven == null ? null : unproven.get("reason");
      Map<String, Object> more = new LinkedHashMap<>();
      if (reason instanceof String) more.put("unproven", reason);
      throw LictorException.unproven(
          "missing",
          "the runtime's answer carries no proof of a license" + (why instanceof String ? ": " + why : ""),
          more);
    }
    Map<String, Object> proof = asObject(proofValue);
    boolean macd = proof != null && "session".equals(proof.get("key"));
    LicenseDocument license =
        macd ? sessionProofLicense(proof, purpose, session) : signedProofLicense(proof, vendorKey);
    String signed = (String) proof.get("signed");

    Map<String, Object> statement;
    try {
      statement = asObject(Json.parse(signed));
    } catch (Json.ParseException e) {
      throw LictorException.unproven("malformed", "the signed statement is not JSON");
    }
    if (statement == null || !statement.containsKey("answer")) {
      throw LictorException.unproven("malformed", "the signed statement is not an answer");
    }
    if (!Objects.equals(statement.get("container"), license.containerId())
        || !Objects.equals(statement.get("nonce"), nonce)
        || !Objects.equals(statement.get("purpose"), purpose)) {
      throw LictorException.unproven(
          "signature",
          "the signed statement is not for this request (its nonce, purpose or container differ: expected purpose '"
              + purpose
              + "'): a replayed answer");
    }

    Map<String, Object> signedAnswer = asObject(statement.get("answer"));
    Map<String, Object> grant = signedAnswer == null ? null : SEAT.equals(purpose) ? asObject(signedAnswer.get("lease")) : signedAnswer;
    Object grantedProduct = grant == null ? null : grant.get("product");
    Object grantedFeature = grant == null ? null : grant.get("feature");
    String what = feature == null ? "product '" + product + "'" : "feature '" + feature + "' of product '" + product + "'";
    if (!Objects.equals(grantedProduct, product) || !Objects.equals(grantedFeature, feature)) {
      throw LictorException.unproven("not-covered", "the signed answer is not about " + what);
    }
    if (!license.covers(product, feature, nowMillis)) {
      throw LictorException.unproven(
          "not-covered",
          "the license sent as proof (serial "
              + license.serial()
              + ") holds no unexpired license for "
              + what
              + " at "
              + Instant.ofEpochMilli(nowMillis));
    }

    Map<String, Object> fields = new LinkedHashMap<>(answer);
    fields.remove("proof");
    fields.remove("unproven");
    boolean same;
    if (SEAT.equals(purpose)) {
      same =
          fields.get("leaseId") instanceof String
              && Objects.equals(fields.get("leaseId"), grant.get("id"))
              && Objects.equals(fields.get("product"), product)
              && Objects.equals(fields.get("feature"), feature);
    } else {
      same = sameJson(fields, signedAnswer);
    }
    if (!same) {
      throw LictorException.unproven("signature", "the runtime's answer differs from the answer it signed");
    }
    return new Verified(signedAnswer, license, macd);
  }

  /**
   * Steps 1–3 for a proof {@code { license, key: "container", signature, signed }}: its shape
   * ({@code malformed}), the license opened with the vendor key ({@code license}, {@code no-key}),
   * the container key's signature ({@code signature}). Returns the license.
   */
  private static LicenseDocument signedProofLicense(Map<String, Object> proof, VendorKey vendorKey) {
    if (proof == null
        || !isText(proof.get("license"), MAX_LICENSE_LENGTH)
        || !"container".equals(proof.get("key"))
        || !isBase64UrlText(proof.get("signature"), 128)
        || !isText(proof.get("signed"), MAX_SIGNED_LENGTH)) {
      throw LictorException.unproven("malformed", "the proof of the runtime's answer is malformed");
    }
    String signed = (String) proof.get("signed");
    LicenseDocument license;
    try {
      license = LicenseFile.open((String) proof.get("license"), vendorKey);
    } catch (LictorException e) {
      throw LictorException.unproven(
          "license",
          "the license sent as proof is not a genuine license of this vendor: " + e.getMessage(),
          Map.of("cause", e.code()));
    }
    if (license.containerKeys() == null) {
      throw LictorException.unproven(
          "no-key",
          "the license sent as proof (serial "
              + license.serial()
              + ") names no container key; it was activated before containers had keys: activate it again");
    }

    byte[] key = Bytes.fromBase64Url(license.containerKeys().sign());
    byte[] signature = Bytes.fromBase64Url((String) proof.get("signature"));
    if (key == null
        || signature == null
        || !Crypto.ed25519Verify(key, signingInput(signed), signature)) {
      throw LictorException.unproven(
          "signature",
          "the runtime's answer is not signed by the key of the license it names (serial "
              + license.serial()
              + "): a forged answer");
    }
    return license;
  }

  /**
   * Steps 1–3 for a proof {@code { key: "session", mac, signed }}: its shape ({@code malformed}),
   * a session named by the request and a purpose the runtime MACs ({@code signature}), the MAC
   * under the session's secret, compared in constant time ({@code signature}). Returns the
   * session's license, which the statement must then name.
   */
  private static LicenseDocument sessionProofLicense(Map<String, Object> proof, String purpose, AnswerSession session) {
    if (!isBase64UrlText(proof.get("mac"), 64) || !isText(proof.get("signed"), MAX_SIGNED_LENGTH)) {
      throw LictorException.unproven("malformed", "the proof of the runtime's answer is malformed");
    }
    if (session == null || SEAT.equals(purpose)) {
      throw LictorException.unproven(
          "signature",
          SEAT.equals(purpose)
              ? "a seat's answer is MAC'd: only the License Manager's signature proves a seat"
              : "the runtime's answer is MAC'd under a session this request did not name: a forged answer");
    }
    byte[] received = Bytes.fromBase64Url((String) proof.get("mac"));
    byte[] expected = session.mac(signingInput((String) proof.get("signed")));
    if (!Crypto.constantTimeEqual(received, expected)) {
      throw LictorException.unproven(
          "signature",
          "the runtime's answer is not MAC'd under this client's session with license "
              + session.license.serial()
              + ": a forged answer");
    }
    return session.license;
  }

  private static boolean sameJson(Object a, Object b) {
    try {
      return Json.canonical(a).equals(Json.canonical(b));
    } catch (Json.NotCanonicalException e) {
      return false;
    }
  }
}
