package org.lictor.runtime;

import java.time.Instant;
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
 * Anything else is {@code LICTOR_E_ANSWER_UNPROVEN} with {@code details.reason} the fault. The
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

  /** A verified answer: the answer as signed, and the license that proves it. */
  static final class Verified {
    final Map<String, Object> answer;
    final LicenseDocument license;

    Verified(Map<String, Object> answer, LicenseDocument license) {
      this.answer = answer;
      this.license = license;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asObject(Object o) {
    return o instanceof Map ? (Map<String, Object>) o : null;
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
    if (proof == null
        || !(proof.get("license") instanceof String)
        || ((String) proof.get("license")).length() > MAX_LICENSE_LENGTH
        || !"container".equals(proof.get("key"))
        || !(proof.get("signature") instanceof String)
        || ((String) proof.get("signature")).length() > 128
        || !isBase64UrlText((String) proof.get("signature"))
        || !(proof.get("signed") instanceof String)
        || ((String) proof.get("signed")).length() > MAX_SIGNED_LENGTH) {
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
        || !Crypto.ed25519Verify(key, Bytes.utf8(DOMAIN + "\0" + signed), signature)) {
      throw LictorException.unproven(
          "signature",
          "the runtime's answer is not signed by the key of the license it names (serial "
              + license.serial()
              + "): a forged answer");
    }

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
    return new Verified(signedAnswer, license);
  }

  private static boolean sameJson(Object a, Object b) {
    try {
      return Json.canonical(a).equals(Json.canonical(b));
    } catch (Json.NotCanonicalException e) {
      return false;
    }
  }
}
