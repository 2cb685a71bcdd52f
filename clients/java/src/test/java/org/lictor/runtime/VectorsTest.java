package org.lictor.runtime;

import static org.lictor.runtime.Assert.check;
import static org.lictor.runtime.Assert.equal;
import static org.lictor.runtime.Assert.refused;
import static org.lictor.runtime.Vectors.list;
import static org.lictor.runtime.Vectors.map;
import static org.lictor.runtime.Vectors.str;

import java.util.Map;

/** The specification's vectors (spec/vectors/), byte for byte. */
final class VectorsTest {
  @Test
  static void canonicalJson() {
    Map<String, Object> v = Vectors.load("canonical-json");
    int n = 0;
    for (Object o : list(v.get("cases"))) {
      Map<String, Object> c = map(o);
      String canonical = Json.canonical(Json.parse(str(c, "input")));
      equal(canonical, str(c, "canonical"), str(c, "name"));
      equal(Bytes.toHex(Bytes.utf8(canonical)), str(c, "utf8Hex"), str(c, "name") + " (UTF-8)");
      n++;
    }
    for (Object o : list(v.get("negative"))) {
      Map<String, Object> c = map(o);
      equal(str(c, "error"), "not-canonical", "negative error");
      Object parsed = Json.parse(str(c, "input"));
      try {
        Json.canonical(parsed);
        throw new AssertionError(str(c, "name") + ": encoded");
      } catch (Json.NotCanonicalException expected) {
        n++;
      }
    }
    check(n >= 8, "cases checked: " + n);
  }

  @Test
  static void vendorKeys() {
    Map<String, Object> v = Vectors.load("vendor-key");
    for (Object o : list(v.get("keys"))) {
      Map<String, Object> k = map(o);
      VendorKey key = VendorKey.parse(str(k, "text"));
      equal(Bytes.toHex(key.raw()), str(k, "publicKeyHex"), "raw key");
      equal(key.keyIdHex(), str(k, "keyIdHex"), "key id");
      equal(key.text(), str(k, "text"), "text form");
      equal(VendorKey.parse("  \n" + str(k, "text") + "\t ").text(), str(k, "text"), "white space around it is ignored");
      // The seed gives this public key, and the signature reproduces (Ed25519 is deterministic).
      TestKeys keys = TestKeys.fromSeed(Bytes.fromHex(str(k, "seedHex")));
      equal(Bytes.toHex(keys.publicRaw), str(k, "publicKeyHex"), "public key of the seed");
      Map<String, Object> sig = map(k.get("signature"));
      byte[] message = Bytes.fromHex(str(sig, "messageHex"));
      byte[] signature = Bytes.fromHex(str(sig, "signatureHex"));
      equal(Bytes.toHex(keys.sign(message)), str(sig, "signatureHex"), "signature");
      check(key.verify(message, signature), "the signature verifies");
      byte[] altered = signature.clone();
      altered[0] ^= 1;
      check(!key.verify(message, altered), "an altered signature does not verify");
      check(!key.verify(Bytes.concat(message, new byte[] {0}), signature), "another message does not verify");
    }
    for (Object o : list(v.get("negative"))) {
      Map<String, Object> c = map(o);
      refused(str(c, "error"), () -> VendorKey.parse(str(c, "text")), str(c, "name"));
    }
  }

  @Test
  static void ed25519RefusesSAboveTheGroupOrder() {
    Map<String, Object> k = map(list(Vectors.load("vendor-key").get("keys")).get(0));
    VendorKey key = VendorKey.parse(str(k, "text"));
    Map<String, Object> sig = map(k.get("signature"));
    byte[] message = Bytes.fromHex(str(sig, "messageHex"));
    byte[] signature = Bytes.fromHex(str(sig, "signatureHex"));
    // S + L (little-endian) is the same point multiple: OpenSSL (and this client) refuse it.
    java.math.BigInteger l =
        java.math.BigInteger.ONE.shiftLeft(252).add(new java.math.BigInteger("27742317777372353535851937790883648493"));
    byte[] sLe = java.util.Arrays.copyOfRange(signature, 32, 64);
    byte[] sBe = new byte[32];
    for (int i = 0; i < 32; i++) sBe[i] = sLe[31 - i];
    byte[] big = new java.math.BigInteger(1, sBe).add(l).toByteArray();
    byte[] sum = new byte[32];
    for (int i = 0; i < 32 && i < big.length; i++) sum[i] = big[big.length - 1 - i];
    byte[] malleable = Bytes.concat(java.util.Arrays.copyOf(signature, 32), sum);
    check(!key.verify(message, malleable), "S + L is refused");
  }

  @Test
  static void hardwareNormalization() {
    Map<String, Object> v = Vectors.load("hardware");
    int n = 0;
    for (Object o : list(v.get("cases"))) {
      Map<String, Object> c = map(o);
      if (!c.containsKey("normalized")) continue;
      equal(
          Json.canonical(Subject.normalizeHardware(map(c.get("hardware")))),
          Json.canonical(c.get("normalized")),
          str(c, "name"));
      n++;
    }
    check(n >= 3, "cases checked: " + n);
  }

  @Test
  static void licenseFiles() {
    Map<String, Object> v = Vectors.load("license-file");
    VendorKey vendor = VendorKey.parse(str(map(v.get("vendorKey")), "publicKey"));
    TestKeys vendorKeys = TestKeys.fromSeed(Bytes.fromHex(str(map(v.get("vendorKey")), "seedHex")));
    for (Object o : list(v.get("cases"))) {
      Map<String, Object> c = map(o);
      String name = str(c, "name");
      Map<String, Object> in = map(c.get("input"));
      Map<String, Object> out = map(c.get("output"));
      LicenseDocument doc = LicenseFile.open(str(out, "text"), vendor);
      equal(Json.canonical(doc.toJson()), Json.canonical(in.get("document")), name + ": document");
      equal(Json.canonical(doc.toJson()), str(out, "payload"), name + ": payload");
      long format = (Long) out.get("subjectFormat");
      if (format == 2) {
        equal(Json.canonical(Subject.privateSubject(doc)), str(out, "subjectPrivateJson"), name + ": subjectPrivateJson");
        equal(Subject.privateDigest(doc), str(out, "subjectPrivate"), name + ": subjectPrivate");
        equal(Json.canonical(Subject.format2Subject(doc)), str(out, "subjectJson"), name + ": subjectJson");
        equal(Subject.format2(doc), str(out, "subject"), name + ": subject");
      } else {
        equal(Json.canonical(Subject.format1Subject(doc)), str(out, "subjectJson"), name + ": subjectJson");
        equal(Subject.format1(doc), str(out, "subject"), name + ": subject");
      }
      String view = Json.canonical(doc.signedView(str(out, "subject")));
      equal(view, str(out, "signedView"), name + ": signed view");
      byte[] signing = Bytes.concat(Bytes.utf8("lictor/v1/license\0"), vendor.keyId(), Bytes.utf8(view));
      equal(Bytes.toHex(signing), str(out, "signingBytesHex"), name + ": signing bytes");
      byte[] salt = Bytes.fromHex(str(in, "saltHex"));
      byte[] iv = Bytes.fromHex(str(in, "ivHex"));
      equal(Bytes.toHex(Crypto.hkdf(vendor.raw(), salt, "lictor/v1/license", 32)), str(out, "aesKeyHex"), name + ": key");
      byte[] bytes = LicenseFile.dearmor(str(out, "text"));
      equal(Bytes.toHex(java.util.Arrays.copyOf(bytes, 42)), str(out, "headerHex"), name + ": header");
      check(vendor.verify(signing, Bytes.fromHex(str(out, "signatureHex"))), name + ": signature");
      if (format == 2) {
        // The test writer (used for the fake runtimes) writes the same file byte for byte.
        equal(LicenseWriter.seal(map(in.get("document")), vendorKeys, salt, iv), str(out, "text"), name + ": written");
      }
    }
    for (Object o : list(v.get("tolerant"))) {
      Map<String, Object> c = map(o);
      LicenseDocument doc = LicenseFile.open(str(c, "text"), vendor);
      equal(Json.canonical(doc.toJson()), Json.canonical(c.get("document")), str(c, "name"));
    }
    int negatives = 0;
    for (Object o : list(v.get("negative"))) {
      Map<String, Object> c = map(o);
      VendorKey key = VendorKey.parse(str(c, "publicKey"));
      refused(str(c, "error"), () -> LicenseFile.open(str(c, "text"), key), str(c, "name"));
      negatives++;
    }
    check(negatives >= 13, "negative cases: " + negatives);
  }

  @Test
  static void licenseFileLimits() {
    Map<String, Object> v = Vectors.load("license-file");
    VendorKey vendor = VendorKey.parse(str(map(v.get("vendorKey")), "publicKey"));
    String text = str(map(map(list(v.get("cases")).get(0)).get("output")), "text");
    refused("LICTOR_E_FILE_FORMAT", () -> LicenseFile.open("x".repeat(1024 * 1024 + 1), vendor), "too long");
    refused("LICTOR_E_FILE_FORMAT", () -> LicenseFile.open("hello", vendor), "no block");
    refused(
        "LICTOR_E_FILE_FORMAT",
        () -> LicenseFile.open(text.replace("BEGIN LICTOR LICENSE", "BEGIN LICTOR REQUEST"), vendor),
        "another block");
    LicenseDocument doc = LicenseFile.open(text, vendor);
    check(doc.covers("MINER", "etl", Instants.parse("2027-11-22T09:59:59.999Z")), "covers before expiry");
    check(!doc.covers("MINER", "etl", Instants.parse("2027-11-22T10:00:00.000Z")), "expired at expiresAt");
    check(!doc.covers("MINER", "nope", 0), "an unknown feature is not covered");
    check(!doc.covers("OTHER", null, 0), "another product is not covered");
    check(doc.covers("MINER", null, 0), "the product alone");
  }

  /** spec/vectors/signed-answer.json: statements, signatures, answers accepted and refused. */
  @Test
  static void signedAnswers() {
    if (!Vectors.exists("signed-answer")) throw new TestRunner.Skip("spec/vectors/signed-answer.json is not there yet");
    Map<String, Object> v = Vectors.load("signed-answer");
    equal(str(v, "domain"), SignedAnswers.DOMAIN, "domain");
    VendorKey vendor = VendorKey.parse(str(map(v.get("vendorKey")), "publicKey"));
    Map<String, Object> container = map(v.get("container"));
    TestKeys containerKey = TestKeys.fromSeed(Bytes.fromHex(str(container, "signSeedHex")));
    equal(containerKey.publicBase64Url(), str(map(container.get("public")), "sign"), "the container's public key");
    int n = 0;
    for (Object o : list(v.get("signatures"))) {
      Map<String, Object> c = map(o);
      String name = str(c, "name");
      Map<String, Object> in = map(c.get("input"));
      Map<String, Object> out = map(c.get("output"));
      String statement = Json.canonical(in); // { answer, container, nonce, purpose }
      equal(statement, str(out, "statement"), name + ": statement");
      byte[] signing = Bytes.utf8(SignedAnswers.DOMAIN + "\0" + statement);
      equal(Bytes.toHex(signing), str(out, "signingBytesHex"), name + ": signing bytes");
      equal(Bytes.toHex(containerKey.sign(signing)), str(out, "signatureHex"), name + ": signature");
      check(Crypto.ed25519Verify(containerKey.publicRaw, signing, Bytes.fromHex(str(out, "signatureHex"))), name + ": verifies");
      n++;
    }
    for (Object o : list(v.get("accepted"))) {
      Map<String, Object> c = map(o);
      SignedAnswers.Verified verified = verifyCase(vendor, c, null);
      equal(Json.canonical(verified.answer), Json.canonical(c.get("answer")), str(c, "name") + ": the signed answer");
      n++;
    }
    for (Object o : list(v.get("negative"))) {
      Map<String, Object> c = map(o);
      LictorException e =
          refused(
              str(c, "error"),
              () -> verifyCase(vendor, c, null),
              str(c, "name"));
      equal(e.reason(), str(c, "reason"), str(c, "name") + ": reason (" + e.getMessage() + ")");
      n++;
    }
    for (Object o : list(v.get("nonces"))) {
      Map<String, Object> c = map(o);
      equal(LictorRuntime.isNonce(str(c, "nonce")), c.get("valid"), str(c, "name"));
      n++;
    }
    check(n >= 20, "cases checked: " + n);
  }

  /**
   * Answer sessions: the session secret sealed to the container's X25519 key (ephemeral scalar and
   * iv injected) gives the vectors' sealed text, id and header, and opens with the container's key;
   * the runtime's answers within that session ({@code runtimeSession}) verify, and each refusal is
   * refused with its reason.
   */
  @Test
  static void runtimeSessions() {
    Map<String, Object> v = Vectors.load("signed-answer");
    VendorKey vendor = VendorKey.parse(str(map(v.get("vendorKey")), "publicKey"));
    Map<String, Object> container = map(v.get("container"));
    byte[] boxPrivate = Bytes.fromHex(str(container, "boxScalarHex"));
    String box = str(map(container.get("public")), "box");
    equal(Bytes.toBase64Url(Crypto.x25519Public(boxPrivate)), box, "the container's X25519 public key");
    LicenseDocument license = LicenseFile.open(str(map(v.get("license")), "text"), vendor);
    equal(license.containerKeys().box(), box, "the license certifies that key");

    Map<String, Object> session = map(v.get("session"));
    equal(str(session, "context"), SignedAnswers.SESSION_CONTEXT, "context");
    byte[] secret = Bytes.fromHex(str(session, "secretHex"));
    String sealed =
        Crypto.sealToContainer(
            Bytes.fromBase64Url(box),
            secret,
            SignedAnswers.SESSION_CONTEXT,
            Bytes.fromHex(str(session, "ephemeralScalarHex")),
            Bytes.fromHex(str(session, "ivHex")));
    equal(sealed, str(session, "sealed"), "sealed");
    equal(SignedAnswers.sessionId(sealed), str(session, "id"), "id");
    equal(SignedAnswers.sessionId(sealed) + "." + sealed, str(session, "header"), "header");
    equal(Bytes.toHex(Signer.openSealed(boxPrivate, sealed, SignedAnswers.SESSION_CONTEXT)), Bytes.toHex(secret), "opens");
    // A fresh seal (random ephemeral key and iv) opens to the same secret; another context does not.
    String fresh = Crypto.sealToContainer(Bytes.fromBase64Url(box), secret, SignedAnswers.SESSION_CONTEXT, new java.security.SecureRandom());
    check(!fresh.equals(sealed), "a fresh ephemeral key");
    equal(Bytes.toHex(Signer.openSealed(boxPrivate, fresh, SignedAnswers.SESSION_CONTEXT)), Bytes.toHex(secret), "a fresh seal opens");
    check(Signer.openSealed(boxPrivate, fresh, "upgrade-confirm") == null, "not under another context");

    Map<String, Object> rs = map(v.get("runtimeSession"));
    equal(str(rs, "secretHex"), str(session, "secretHex"), "the session above");
    equal(str(rs, "header"), str(session, "header"), "its header");
    SignedAnswers.AnswerSession named = new SignedAnswers.AnswerSession(secret, sealed, license);
    int n = 0;
    for (Object o : list(rs.get("accepted"))) {
      Map<String, Object> c = map(o);
      String name = str(c, "name");
      equal(
          Bytes.toHex(Crypto.hmacSha256(secret, Bytes.utf8(str(c, "macInput")))), str(c, "macHex"), name + ": the MAC");
      SignedAnswers.Verified verified = verifyCase(vendor, c, named);
      check(verified.macd, name + ": MAC'd");
      equal(verified.license.containerId(), license.containerId(), name + ": the session's license");
      equal(Json.canonical(verified.answer), Json.canonical(c.get("answer")), name + ": the answer");
      // Without the session the same answer is refused (a MAC'd answer to a request that named none).
      LictorException e =
          refused(
              "LICTOR_E_ANSWER_UNPROVEN",
              () -> verifyCase(vendor, c, null),
              name + " without the session");
      equal(e.reason(), "signature", name + " without the session: reason");
      n++;
    }
    for (Object o : list(rs.get("negative"))) {
      Map<String, Object> c = map(o);
      String name = str(c, "name");
      boolean sessionNamed = !Boolean.FALSE.equals(c.get("sessionNamed"));
      LictorException e =
          refused(
              str(c, "error"),
              () -> verifyCase(vendor, c, sessionNamed ? named : null),
              name);
      equal(e.reason(), str(c, "reason"), name + ": reason (" + e.getMessage() + ")");
      n++;
    }
    check(n >= 10, "cases checked: " + n);
  }

  /**
   * {@link SignedAnswers#verify} of a vector case (its {@code purpose}, {@code nonce}, {@code
   * response}, {@code product}, {@code feature} and {@code nowMs}), within {@code session} ({@code
   * null}: a request that named none).
   */
  private static SignedAnswers.Verified verifyCase(
      VendorKey vendor, Map<String, Object> c, SignedAnswers.AnswerSession session) {
    return SignedAnswers.verify(
        vendor,
        str(c, "purpose"),
        str(c, "nonce"),
        c.get("response"),
        str(c, "product"),
        str(c, "feature"),
        (Long) c.get("nowMs"),
        session);
  }

  @Test
  static void theClientsNoncesAreValid() {
    LictorRuntime rt = LictorRuntime.builder().vendorKey(TestKeys.fresh().vendorKey()).url("http://127.0.0.1:1").build();
    for (int i = 0; i < 100; i++) check(LictorRuntime.isNonce(rt.nonce()), "a valid nonce");
  }
}
