package org.lictor.runtime;

import static org.lictor.runtime.Assert.check;
import static org.lictor.runtime.Assert.equal;
import static org.lictor.runtime.Assert.refused;
import static org.lictor.runtime.Assert.unproven;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fake runtimes are refused: tiny HTTP servers that answer well-formed JSON without a proof, with
 * a proof over another nonce (a replay), with another vendor's license, a made-up or altered one,
 * a license that does not cover what was asked, or a signature that does not match. The genuine
 * answers of the same fake (signed by the container key of a license of the embedded vendor) are
 * accepted: the refusals are for the defect each case has, nothing else.
 */
final class FakeRuntimeTest {
  static final TestKeys VENDOR = TestKeys.fresh();
  static final TestKeys OTHER_VENDOR = TestKeys.fresh();
  static final Signer GENUINE = Signer.license(VENDOR, "ERP", List.of("reports"), null);

  /** A genuine runtime's answer to {@code r}, signed by {@code signer} (null: the unsigned answer). */
  static FakeRuntime.Answer genuine(FakeRuntime.Request r, Signer signer) {
    return genuine(r, signer, null);
  }

  interface Edit {
    /** Changes what is signed ({@code signed}) or what is sent ({@code sent}) before it goes. */
    void edit(Map<String, Object> signed, Map<String, Object> sent);
  }

  static FakeRuntime.Answer genuine(FakeRuntime.Request r, Signer signer, Edit edit) {
    if (r.method().equals("DELETE") && r.path().startsWith("/v1/sessions/s-")) return FakeRuntime.Answer.json(204, null);
    if (r.method().equals("DELETE") && r.path().startsWith("/v1/seats/seat-")) return FakeRuntime.Answer.json(204, null);
    if (!r.method().equals("POST")) return notFound();
    Map<String, Object> body = r.json();
    String nonce = (String) body.get("nonce");
    Map<String, Object> answer = new LinkedHashMap<>();
    Map<String, Object> statementAnswer = answer;
    String purpose;
    switch (r.path()) {
      case "/v1/check":
        purpose = "runtime-check";
        answer.put("product", body.get("product"));
        answer.put("feature", body.get("feature"));
        answer.put("serial", "LX-AAAA-BBBB-0001");
        answer.put("licenseId", "a-1:" + body.get("product"));
        answer.put("type", "single");
        answer.put("users", null);
        answer.put("expiresAt", null);
        answer.put("file", "/var/lib/lictor/runtime/licenses/LX-AAAA-BBBB-0001.lic");
        break;
      case "/v1/sessions":
        purpose = "runtime-session";
        answer.put("id", "s-1");
        answer.put("product", body.get("product"));
        answer.put("feature", body.get("feature"));
        answer.put("serial", "LX-AAAA-BBBB-0001");
        answer.put("licenseId", "a-1:" + body.get("product"));
        answer.put("licenseFile", "/var/lib/lictor/runtime/licenses/LX-AAAA-BBBB-0001.lic");
        answer.put("pid", body.get("pid"));
        answer.put("osSession", "1");
        answer.put("openedAt", "2026-03-01T00:00:00.000Z");
        break;
      case "/v1/seats":
        purpose = "lease";
        Map<String, Object> lease = new LinkedHashMap<>();
        lease.put("id", "L1");
        lease.put("product", body.get("product"));
        lease.put("feature", body.get("feature"));
        lease.put("licenseId", "a-2:" + body.get("product"));
        lease.put("source", "software");
        lease.put("grantedAt", "2026-03-01T00:00:00.000Z");
        lease.put("expiresAt", "2026-03-01T00:01:00.000Z");
        lease.put("heartbeatIntervalMs", 20000L);
        statementAnswer = new LinkedHashMap<>();
        statementAnswer.put("lease", lease);
        statementAnswer.put("renewed", false);
        answer.put("id", "seat-1");
        answer.put("leaseId", "L1");
        answer.put("product", body.get("product"));
        answer.put("feature", body.get("feature"));
        answer.put("manager", "http://127.0.0.1:8790");
        answer.put("state", "active");
        answer.put("expiresAt", "2026-03-01T00:01:00.000Z");
        answer.put("heartbeatIntervalMs", 20000L);
        answer.put("pid", body.get("pid"));
        break;
      default:
        return notFound();
    }
    int status = r.path().equals("/v1/check") ? 200 : 201;
    Map<String, Object> sent = new LinkedHashMap<>(answer);
    Map<String, Object> signed = new LinkedHashMap<>(statementAnswer);
    if (edit != null) edit.edit(signed, sent);
    if (signer != null) sent.put("proof", signer.proof(purpose, nonce, signed));
    return FakeRuntime.Answer.json(status, sent);
  }

  static FakeRuntime.Answer notFound() {
    return FakeRuntime.Answer.json(404, Map.of("code", "LICTOR_E_NOT_FOUND", "message", "no such route"));
  }

  static LictorRuntime client(FakeRuntime fake) {
    return LictorRuntime.builder().vendorKey(VENDOR.vendorKey()).url(fake.url).build();
  }

  static LictorRuntime socketClient(FakeRuntime fake) {
    return LictorRuntime.builder().vendorKey(VENDOR.vendorKey()).socket(fake.socket).build();
  }

  // ---- the genuine runtime (the positive control) ----

  @Test
  static void aGenuineRuntimeIsBelieved() throws Exception {
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, GENUINE))) {
      for (LictorRuntime rt : List.of(client(fake), socketClient(fake))) {
        Grant grant = rt.check("ERP", "reports");
        equal(grant.product(), "ERP", "product");
        equal(grant.feature(), "reports", "feature");
        equal(grant.serial(), "LX-AAAA-BBBB-0001", "serial");
        equal(grant.license().containerId(), GENUINE.containerId, "the proving license");
        equal(rt.check("ERP").feature(), null, "the product alone");
        try (Session session = rt.openSession("ERP", "reports")) {
          equal(session.id(), "s-1", "session id");
          equal(session.pid(), ProcessHandle.current().pid(), "the session is this process's");
        }
        check(fake.last().method().equals("DELETE") && fake.last().path().equals("/v1/sessions/s-1"), "closed");
        try (Seat seat = rt.takeSeat("ERP", "reports")) {
          equal(seat.leaseId(), "L1", "lease");
          equal(seat.state(), "active", "state");
          equal(seat.expiresAt(), "2026-03-01T00:01:00.000Z", "expiry, as signed");
        }
        check(fake.last().method().equals("DELETE") && fake.last().path().equals("/v1/seats/seat-1"), "released");
      }
    }
  }

  @Test
  static void requestsCarryAFreshNonceTheKeyAndNoOrigin() throws Exception {
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, GENUINE))) {
      for (LictorRuntime rt : List.of(client(fake), socketClient(fake))) {
        fake.requests.clear();
        rt.check("ERP", "reports");
        rt.check("ERP", "reports");
        rt.openSession("ERP").close();
        rt.takeSeat("ERP", null, List.of("http://127.0.0.1:8790")).close();
        Set<String> nonces = ConcurrentHashMap.newKeySet();
        for (FakeRuntime.Request r : fake.requests) {
          check(!r.headers().containsKey("origin"), "no Origin header");
          if (!r.method().equals("POST")) continue;
          check(r.headers().get("content-type").startsWith("application/json"), "JSON body");
          Map<String, Object> body = r.json();
          equal(body.get("publicKey"), VENDOR.vendorKey().text(), "the vendor key");
          String nonce = (String) body.get("nonce");
          byte[] bytes = Bytes.fromBase64Url(nonce);
          check(bytes != null && bytes.length >= 16 && bytes.length <= 64, "nonce is base64url of 16-64 bytes: " + nonce);
          check(nonces.add(nonce), "each request has its own nonce");
        }
        equal(nonces.size(), 4, "four granting requests");
        Map<String, Object> session = fake.requests.get(2).json();
        equal(session.get("pid"), ProcessHandle.current().pid(), "the session names this process");
        Map<String, Object> seat = fake.requests.get(4).json();
        equal(seat.get("managers"), List.of("http://127.0.0.1:8790"), "managers named");
      }
    }
  }

  // ---- fakes ----

  @Test
  static void anAnswerWithoutProofIsRefused() throws Exception {
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, null))) {
      for (LictorRuntime rt : List.of(client(fake), socketClient(fake))) {
        unproven("missing", () -> rt.check("ERP", "reports"), "check");
        unproven("missing", () -> rt.openSession("ERP", "reports"), "session");
        unproven("missing", () -> rt.takeSeat("ERP", "reports"), "seat");
      }
    }
  }

  @Test
  static void anUnprovenAnswerSaysWhy() throws Exception {
    try (FakeRuntime fake =
        new FakeRuntime(
            r -> {
              FakeRuntime.Answer a = genuine(r, null);
              @SuppressWarnings("unchecked")
              Map<String, Object> m = (Map<String, Object>) Json.parse(a.body());
              m.put("proof", null);
              m.put("unproven", Map.of("reason", "no-key", "message", "activated before containers had keys"));
              return FakeRuntime.Answer.json(200, m);
            })) {
      LictorException e = unproven("missing", () -> client(fake).check("ERP"), "check");
      check(e.getMessage().contains("activated before containers had keys"), e.getMessage());
      equal(e.details().get("unproven"), "no-key", "details.unproven");
    }
  }

  @Test
  static void aProofOverAnotherNonceIsRefused() throws Exception {
    // A replay: the genuine runtime's answer (and signature) to an earlier request.
    Map<String, FakeRuntime.Answer> recorded = new ConcurrentHashMap<>();
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, GENUINE))) {
      LictorRuntime rt = client(fake);
      rt.check("ERP", "reports");
      recorded.put("/v1/check", genuine(fake.last(), GENUINE));
      rt.openSession("ERP", "reports").close();
      recorded.put("/v1/sessions", genuine(fake.requests.get(1), GENUINE));
      fake.handler(r -> recorded.getOrDefault(r.path(), notFound()));
      unproven("signature", () -> rt.check("ERP", "reports"), "replayed check");
      unproven("signature", () -> rt.openSession("ERP", "reports"), "replayed session");
    }
    // A statement naming another nonce, signed by the genuine key.
    try (FakeRuntime fake =
        new FakeRuntime(r -> genuine(new FakeRuntime.Request(r.method(), r.path(), r.headers(), withNonce(r.body())), GENUINE))) {
      unproven("signature", () -> client(fake).check("ERP", "reports"), "another nonce");
      unproven("signature", () -> socketClient(fake).takeSeat("ERP", "reports"), "another nonce (seat)");
    }
  }

  static String withNonce(String body) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse(body);
    m.put("nonce", Bytes.toBase64Url(Signer.random(16)));
    return Json.write(m);
  }

  @Test
  static void anotherVendorsLicenseIsRefused() throws Exception {
    Signer other = Signer.license(OTHER_VENDOR, "ERP", List.of("reports"), null);
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, other))) {
      LictorException e = unproven("license", () -> client(fake).check("ERP", "reports"), "check");
      equal(e.details().get("cause"), "LICTOR_E_WRONG_VENDOR", "cause");
      unproven("license", () -> client(fake).takeSeat("ERP", "reports"), "seat");
    }
  }

  @Test
  static void aMadeUpOrAlteredLicenseIsRefused() throws Exception {
    String madeUp = LicenseWriter.armor(Signer.random(300));
    String text = GENUINE.license;
    int at = text.indexOf('\n', 40) + 10; // a character inside the ciphertext
    char c = text.charAt(at);
    String altered = text.substring(0, at) + (c == 'A' ? 'B' : 'A') + text.substring(at + 1);
    for (String license : List.of(madeUp, altered, "hello")) {
      Signer s = new Signer(VENDOR, GENUINE.container, GENUINE.containerId, license);
      try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, s))) {
        unproven("license", () -> client(fake).check("ERP", "reports"), "check");
      }
    }
  }

  @Test
  static void aLicenseWithoutContainerKeyIsRefused() throws Exception {
    Map<String, Object> doc = Signer.document("c-nokey", "ERP", List.of("reports"), null);
    Signer s = new Signer(VENDOR, GENUINE.container, "c-nokey", LicenseWriter.seal(doc, VENDOR));
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, s))) {
      unproven("no-key", () -> client(fake).check("ERP", "reports"), "check");
    }
  }

  @Test
  static void aSignatureByAnotherKeyIsRefused() throws Exception {
    // The genuine license, signed by a key that is not its container's.
    Signer s = new Signer(VENDOR, TestKeys.fresh(), GENUINE.containerId, GENUINE.license);
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, s))) {
      unproven("signature", () -> client(fake).check("ERP", "reports"), "check");
      unproven("signature", () -> client(fake).openSession("ERP", "reports"), "session");
    }
  }

  @Test
  static void aStatementOfAnotherPurposeOrContainerIsRefused() throws Exception {
    try (FakeRuntime fake =
        new FakeRuntime(
            r -> {
              // A genuine session answer sent as the answer to a check.
              if (!r.path().equals("/v1/check")) return notFound();
              String nonce = (String) r.json().get("nonce");
              Map<String, Object> a = Map.of("product", "ERP", "feature", "reports");
              Map<String, Object> sent = new LinkedHashMap<>(a);
              sent.put("proof", GENUINE.proof("runtime-session", nonce, a));
              return FakeRuntime.Answer.json(200, sent);
            })) {
      unproven("signature", () -> client(fake).check("ERP", "reports"), "another purpose");
    }
    Signer elsewhere = new Signer(VENDOR, GENUINE.container, "c-another-container", GENUINE.license);
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, elsewhere))) {
      unproven("signature", () -> client(fake).check("ERP", "reports"), "another container");
    }
  }

  @Test
  static void aLicenseThatDoesNotCoverTheRequestIsRefused() throws Exception {
    Signer noReports = Signer.license(VENDOR, "ERP", List.of("api"), null);
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, noReports))) {
      unproven("not-covered", () -> client(fake).check("ERP", "reports"), "another feature");
      check(client(fake).check("ERP", "api") != null, "the feature it has");
    }
    Signer cad = Signer.license(VENDOR, "CAD", List.of("reports"), null);
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, cad))) {
      unproven("not-covered", () -> client(fake).check("ERP", "reports"), "another product");
    }
    Signer expiring = Signer.license(VENDOR, "ERP", List.of("reports"), "2026-06-01T00:00:00.000Z");
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, expiring))) {
      LictorRuntime before = at(fake, "2026-05-31T23:59:59Z");
      LictorRuntime after = at(fake, "2026-06-01T00:00:00Z");
      check(before.check("ERP", "reports") != null, "before expiry");
      unproven("not-covered", () -> after.check("ERP", "reports"), "expired by the local clock");
      unproven("not-covered", () -> after.takeSeat("ERP", "reports"), "expired (seat)");
    }
  }

  static LictorRuntime at(FakeRuntime fake, String instant) {
    return LictorRuntime.builder()
        .vendorKey(VENDOR.vendorKey())
        .url(fake.url)
        .clock(Clock.fixed(Instant.parse(instant), ZoneOffset.UTC))
        .build();
  }

  @Test
  static void aSignedAnswerAboutSomethingElseOrDifferingFromWhatIsSentIsRefused() throws Exception {
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, GENUINE, (signed, sent) -> signed.put("feature", null)))) {
      unproven("not-covered", () -> client(fake).check("ERP", "reports"), "signed for the product alone");
    }
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, GENUINE, (signed, sent) -> sent.put("serial", "LX-FAKE")))) {
      unproven("signature", () -> client(fake).check("ERP", "reports"), "the sent answer differs");
    }
    try (FakeRuntime fake = new FakeRuntime(r -> genuine(r, GENUINE, (signed, sent) -> sent.put("leaseId", "L2")))) {
      unproven("signature", () -> client(fake).takeSeat("ERP", "reports"), "another lease");
    }
  }

  @Test
  static void aMalformedProofIsRefused() throws Exception {
    String[][] cases = {{"key", "session"}, {"signature", "not base64url!"}, {"signed", null}};
    for (String[] c : cases) {
      try (FakeRuntime fake =
          new FakeRuntime(
              r -> {
                FakeRuntime.Answer a = genuine(r, GENUINE);
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) Json.parse(a.body());
                @SuppressWarnings("unchecked")
                Map<String, Object> proof = (Map<String, Object>) m.get("proof");
                proof.put(c[0], c[1]);
                return FakeRuntime.Answer.json(200, m);
              })) {
        unproven("malformed", () -> client(fake).check("ERP", "reports"), c[0]);
      }
    }
    try (FakeRuntime fake =
        new FakeRuntime(
            r -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("product", "ERP");
              m.put("proof", GENUINE.proofOf("{\"answer\":")); // signed, but not JSON
              return FakeRuntime.Answer.json(200, m);
            })) {
      unproven("malformed", () -> client(fake).check("ERP", "reports"), "signed is not JSON");
    }
  }

  // ---- errors ----

  @Test
  static void theRuntimesRefusalsArriveWithTheirCode() throws Exception {
    Map<String, Object> refusal = new LinkedHashMap<>();
    refusal.put("code", "LICTOR_E_SESSIONS_EXHAUSTED");
    refusal.put("message", "257 processes");
    refusal.put("details", Map.of("limit", 256L, "kind", "processes"));
    try (FakeRuntime fake = new FakeRuntime(r -> FakeRuntime.Answer.json(403, refusal))) {
      for (LictorRuntime rt : List.of(client(fake), socketClient(fake))) {
        LictorException e = refused("LICTOR_E_SESSIONS_EXHAUSTED", () -> rt.openSession("ERP"), "refusal");
        equal(e.getMessage(), "257 processes", "message");
        equal(e.details().get("limit"), 256L, "details");
        equal(e.status(), 403, "status");
      }
    }
    try (FakeRuntime fake = new FakeRuntime(r -> new FakeRuntime.Answer(404, "text/html", "<h1>nope</h1>", false))) {
      refused("LICTOR_E_RUNTIME_UNREACHABLE", () -> client(fake).check("ERP"), "not a Lictor Runtime");
    }
    try (FakeRuntime fake = new FakeRuntime(r -> new FakeRuntime.Answer(200, "application/json", "{oops", false))) {
      refused("LICTOR_E_RUNTIME_UNREACHABLE", () -> client(fake).status(), "not JSON");
    }
    try (FakeRuntime fake = new FakeRuntime(r -> FakeRuntime.Answer.json(200, List.of(1L)))) {
      unproven("missing", () -> client(fake).check("ERP"), "not an object");
    }
  }
}
