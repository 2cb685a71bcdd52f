package org.lictor.runtime;

import static org.lictor.runtime.Assert.check;
import static org.lictor.runtime.Assert.equal;
import static org.lictor.runtime.Assert.unproven;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Answer sessions (docs/spec/signed-answers.md, "Sessions with the runtime") against fake runtimes
 * that keep sessions as the real one does: the header sent (the sealed secret until an answer comes
 * MAC'd, then the id alone), MAC'd answers believed, a restart and another license handled as the
 * specification says; and fakes refused: a MAC under a made-up secret, a MAC'd answer replayed for
 * another nonce, a statement of another container MAC'd under the session's secret.
 */
final class AnswerSessionTest {
  static final TestKeys VENDOR = FakeRuntimeTest.VENDOR;
  static final Signer GENUINE = FakeRuntimeTest.GENUINE;

  /** How a fake runtime proves an answer within a session: a proof, or {@code null} to sign it. */
  interface MacProof {
    Map<String, Object> proof(byte[] secret, String purpose, String nonce, Map<String, Object> answer);
  }

  /**
   * A runtime that keeps answer sessions: it opens a sealed secret with its license's X25519 key
   * (if the id matches), keeps it by id with the container whose key opened it, and MACs answers
   * of checks and session opens under a session of the granting license's container ({@link
   * #macs}, by default as the runtime does); otherwise it signs. Records how it proved
   * each answer ({@code container} or {@code session}) and the header of each request.
   */
  static final class SessionRuntime implements FakeRuntime.Handler {
    volatile Signer signer;
    final Map<String, byte[]> sessions = new ConcurrentHashMap<>();
    /** The container whose key opened each session. */
    final Map<String, String> sessionContainers = new ConcurrentHashMap<>();
    final List<String> proofs = new CopyOnWriteArrayList<>();
    final List<String> headers = new CopyOnWriteArrayList<>();
    volatile MacProof macs;

    /** Forgets every session, as a restarted runtime does. */
    void restart() {
      sessions.clear();
      sessionContainers.clear();
    }

    SessionRuntime(Signer signer) {
      this.signer = signer;
      this.macs = (secret, purpose, nonce, answer) -> Signer.macProof(secret, purpose, this.signer.containerId, nonce, answer);
    }

    @Override
    public FakeRuntime.Answer handle(FakeRuntime.Request r) {
      if (!r.method().equals("POST")) return FakeRuntimeTest.genuine(r, signer);
      String header = r.headers().get(SignedAnswers.SESSION_HEADER);
      headers.add(r.path() + " " + (header == null ? "-" : header));
      if (r.path().equals("/v1/seats")) return FakeRuntimeTest.genuine(r, signer);
      FakeRuntime.Answer plain = FakeRuntimeTest.genuine(r, null);
      @SuppressWarnings("unchecked")
      Map<String, Object> answer = (Map<String, Object>) Json.parse(plain.body());
      String purpose = r.path().equals("/v1/check") ? SignedAnswers.CHECK : SignedAnswers.SESSION;
      String nonce = (String) r.json().get("nonce");
      Signer granting = signer;
      byte[] secret = secretOf(header, granting);
      Map<String, Object> proof = secret == null ? null : macs.proof(secret, purpose, nonce, answer);
      proofs.add(proof == null ? "container" : "session");
      Map<String, Object> sent = new LinkedHashMap<>(answer);
      sent.put("proof", proof == null ? granting.proof(purpose, nonce, answer) : proof);
      return FakeRuntime.Answer.json(plain.status(), sent);
    }

    /** The session the header names: held, else opened from the sealed secret if its id matches. */
    private byte[] secretOf(String header, Signer granting) {
      if (header == null) return null;
      int dot = header.indexOf('.');
      String id = dot < 0 ? header : header.substring(0, dot);
      if (!sessions.containsKey(id) && dot >= 0) {
        String sealed = header.substring(dot + 1);
        byte[] secret = SignedAnswers.sessionId(sealed).equals(id) ? granting.openSealed(sealed) : null;
        if (secret != null && secret.length == 32) {
          sessions.put(id, secret);
          sessionContainers.put(id, granting.containerId);
        }
      }
      // A session of another license than the one that grants: signed, as without the header.
      return granting.containerId.equals(sessionContainers.get(id)) ? sessions.get(id) : null;
    }
  }

  static LictorRuntime client(FakeRuntime fake) {
    return FakeRuntimeTest.client(fake);
  }

  static String idOf(String header) {
    String value = header.substring(header.indexOf(' ') + 1);
    int dot = value.indexOf('.');
    return dot < 0 ? value : value.substring(0, dot);
  }

  @Test
  static void afterTheFirstSignedAnswerTheNextAreMacd() throws Exception {
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      for (LictorRuntime rt : List.of(client(fake), FakeRuntimeTest.socketClient(fake))) {
        runtime.proofs.clear();
        runtime.headers.clear();
        runtime.restart();
        equal(rt.check("ERP", "reports").serial(), "LX-AAAA-BBBB-0001", "signed");
        equal(rt.check("ERP", "reports").license().containerId(), GENUINE.containerId, "MAC'd, the session's license");
        equal(rt.check("ERP", "reports").feature(), "reports", "MAC'd again");
        try (Session session = rt.openSession("ERP", "reports")) {
          equal(session.id(), "s-1", "a session opened within the answer session");
        }
        rt.takeSeat("ERP", "reports").close();
        equal(runtime.proofs, List.of("container", "session", "session", "session"), "how the runtime proved each");
        List<String> h = runtime.headers;
        equal(h.get(0), "/v1/check -", "the first request names no session");
        check(h.get(1).matches("/v1/check [A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{123}"), "then the sealed secret: " + h.get(1));
        String id = idOf(h.get(1));
        equal(h.get(2), "/v1/check " + id, "after a MAC'd answer, the id alone");
        equal(h.get(3), "/v1/sessions " + id, "session opens too");
        equal(h.get(4), "/v1/seats -", "never for a seat");
        equal(runtime.sessions.size(), 1, "one session opened");
      }
      check(runtime.sessions.size() == 1, "each client its own session (the last one's held)");
    }
  }

  @Test
  static void signaturesOnlyWhenAsked() throws Exception {
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      LictorRuntime rt = LictorRuntime.builder().vendorKey(VENDOR.vendorKey()).url(fake.url).answerSessions(false).build();
      for (int i = 0; i < 3; i++) rt.check("ERP", "reports");
      rt.openSession("ERP", "reports").close();
      equal(runtime.headers, List.of("/v1/check -", "/v1/check -", "/v1/check -", "/v1/sessions -"), "no header");
      equal(runtime.proofs, List.of("container", "container", "container", "container"), "all signed");
      // A MAC'd answer to a request that named no session (under a secret the fake made up) is refused.
      fake.handler(
          r -> {
            FakeRuntime.Answer plain = FakeRuntimeTest.genuine(r, null);
            @SuppressWarnings("unchecked")
            Map<String, Object> answer = (Map<String, Object>) Json.parse(plain.body());
            Map<String, Object> sent = new LinkedHashMap<>(answer);
            sent.put(
                "proof",
                Signer.macProof(Signer.random(32), SignedAnswers.CHECK, GENUINE.containerId, (String) r.json().get("nonce"), answer));
            return FakeRuntime.Answer.json(200, sent);
          });
      unproven("signature", () -> rt.check("ERP", "reports"), "MAC'd without a session");
    }
  }

  @Test
  static void aRestartedRuntimeSignsAndTheSealedSecretIsSentAgain() throws Exception {
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      LictorRuntime rt = client(fake);
      rt.check("ERP", "reports");
      rt.check("ERP", "reports");
      rt.check("ERP", "reports");
      String id = idOf(runtime.headers.get(2));
      runtime.restart(); // a restart loses every session
      rt.check("ERP", "reports");
      rt.check("ERP", "reports");
      rt.check("ERP", "reports");
      equal(runtime.proofs, List.of("container", "session", "session", "container", "session", "session"), "proofs");
      equal(runtime.headers.get(3), "/v1/check " + id, "the id, unknown after the restart");
      check(runtime.headers.get(4).startsWith("/v1/check " + id + "."), "the same sealed secret again: " + runtime.headers.get(4));
      equal(runtime.headers.get(5), "/v1/check " + id, "then the id alone");
    }
  }

  @Test
  static void aSignedAnswerOfAnotherLicenseStartsASessionWithIt() throws Exception {
    Signer other = Signer.license(VENDOR, "ERP", List.of("reports"), null);
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      LictorRuntime rt = client(fake);
      rt.check("ERP", "reports");
      rt.check("ERP", "reports");
      String first = idOf(runtime.headers.get(1));
      runtime.signer = other; // now another license grants (it cannot open the first secret)
      equal(rt.check("ERP", "reports").license().containerId(), other.containerId, "signed by the other license");
      equal(rt.check("ERP", "reports").license().containerId(), other.containerId, "MAC'd, the other license's session");
      rt.check("ERP", "reports");
      equal(runtime.proofs, List.of("container", "session", "container", "session", "session"), "proofs");
      equal(runtime.headers.get(2), "/v1/check " + first, "the first session's id");
      check(runtime.headers.get(3).matches("/v1/check [A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{123}"), "a new sealed secret");
      String second = idOf(runtime.headers.get(3));
      check(!second.equals(first), "another session");
      equal(runtime.headers.get(4), "/v1/check " + second, "its id");
    }
  }

  @Test
  static void aSignedAnswerByAnUpgradedLicenseReplacesTheSessionsLicense() throws Exception {
    // A remote upgrade: the same container and keys, a new license text expiring later. The runtime
    // signs once after the license of a held session changes; the client's session then checks
    // MAC'd answers against the new license, not the old one (expired, it would refuse them).
    Signer v1 = Signer.license(VENDOR, "ERP", List.of("reports"), "2026-06-01T00:00:00.000Z");
    Signer v2 = v1.upgraded("ERP", List.of("reports"), "2027-06-01T00:00:00.000Z");
    SessionRuntime runtime = new SessionRuntime(v1);
    MacProof macs = runtime.macs;
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      java.util.concurrent.atomic.AtomicReference<java.time.Instant> now =
          new java.util.concurrent.atomic.AtomicReference<>(java.time.Instant.parse("2026-05-01T00:00:00Z"));
      LictorRuntime rt = LictorRuntime.builder().vendorKey(VENDOR.vendorKey()).url(fake.url).clock(clockAt(now)).build();
      rt.check("ERP", "reports");
      equal(rt.check("ERP", "reports").license().licenses().get(0).expiresAt(), "2026-06-01T00:00:00.000Z", "MAC'd under v1");
      runtime.signer = v2;
      runtime.macs = (secret, purpose, nonce, answer) -> null; // the runtime signs once, keeping the session
      now.set(java.time.Instant.parse("2026-07-01T00:00:00Z")); // v1 expired, v2 not
      equal(rt.check("ERP", "reports").license().licenses().get(0).expiresAt(), "2027-06-01T00:00:00.000Z", "signed by v2");
      runtime.macs = macs;
      equal(rt.check("ERP", "reports").license().licenses().get(0).expiresAt(), "2027-06-01T00:00:00.000Z", "MAC'd, checked against v2");
      equal(rt.check("ERP", "reports").license().counter(), 1L, "MAC'd again, v2");
      equal(runtime.proofs, List.of("container", "session", "container", "session", "session"), "proofs");
      String id = idOf(runtime.headers.get(1));
      equal(runtime.headers.get(2), "/v1/check " + id, "the id alone before the upgrade");
      check(runtime.headers.get(3).startsWith("/v1/check " + id + "."), "the same sealed secret again: " + runtime.headers.get(3));
      equal(runtime.headers.get(4), "/v1/check " + id, "then the id alone");
      equal(runtime.sessions.size(), 1, "the one session kept");
    }
  }

  @Test
  static void aSignedAnswerBySameContainerWithAnotherBoxKeyStartsANewSession() throws Exception {
    // The runtime could not open the session's secret under another X25519 key: a new session.
    Signer v1 = Signer.license(VENDOR, "ERP", List.of("reports"), null);
    Signer rekeyed = v1.upgraded("ERP", List.of("reports"), null, Signer.random(32));
    SessionRuntime runtime = new SessionRuntime(v1);
    MacProof macs = runtime.macs;
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      LictorRuntime rt = client(fake);
      rt.check("ERP", "reports");
      rt.check("ERP", "reports");
      String first = idOf(runtime.headers.get(1));
      runtime.signer = rekeyed;
      runtime.macs = (secret, purpose, nonce, answer) -> null; // signs once
      equal(rt.check("ERP", "reports").license().counter(), 1L, "signed by the re-keyed license");
      runtime.macs = macs;
      equal(rt.check("ERP", "reports").license().counter(), 1L, "MAC'd under the new session");
      equal(runtime.proofs, List.of("container", "session", "container", "session"), "proofs");
      check(runtime.headers.get(3).matches("/v1/check [A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{123}"), "a new sealed secret");
      check(!idOf(runtime.headers.get(3)).equals(first), "another session: " + runtime.headers.get(3));
    }
  }

  /** A clock that reads {@code now}. */
  static java.time.Clock clockAt(java.util.concurrent.atomic.AtomicReference<java.time.Instant> now) {
    return new java.time.Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public java.time.Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public java.time.Instant instant() {
        return now.get();
      }
    };
  }

  // ---- fakes ----

  /** The client's requests to {@code fake}: a signed check, then a check whose answer is MAC'd. */
  static LictorRuntime signedThenSessionNamed(FakeRuntime fake, SessionRuntime runtime) {
    LictorRuntime rt = client(fake);
    rt.check("ERP", "reports");
    equal(runtime.proofs, List.of("container"), "signed first");
    return rt;
  }

  @Test
  static void aMacUnderAMadeUpSecretIsRefused() throws Exception {
    // A fake that holds a genuine license file (not its container's keys) cannot open the secret;
    // here it MACs under a secret of its own, naming the genuine container.
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    runtime.macs = (secret, purpose, nonce, answer) -> Signer.macProof(Signer.random(32), purpose, GENUINE.containerId, nonce, answer);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      LictorRuntime rt = signedThenSessionNamed(fake, runtime);
      unproven("signature", () -> rt.check("ERP", "reports"), "MAC'd under a made-up secret");
      unproven("signature", () -> rt.openSession("ERP", "reports"), "a session open, likewise");
    }
  }

  @Test
  static void aMacdAnswerReplayedForAnotherNonceIsRefused() throws Exception {
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    List<FakeRuntime.Answer> recorded = new ArrayList<>();
    try (FakeRuntime fake =
        new FakeRuntime(
            r -> {
              FakeRuntime.Answer a = runtime.handle(r);
              recorded.add(a);
              return a;
            })) {
      LictorRuntime rt = client(fake);
      rt.check("ERP", "reports");
      rt.check("ERP", "reports"); // MAC'd: the answer to replay
      equal(runtime.proofs, List.of("container", "session"), "the genuine answer was MAC'd");
      FakeRuntime.Answer macd = recorded.get(1);
      fake.handler(r -> macd);
      unproven("signature", () -> rt.check("ERP", "reports"), "the MAC'd answer to another nonce");
      // The positive control: the same runtime answering afresh is believed.
      fake.handler(runtime);
      equal(rt.check("ERP", "reports").product(), "ERP", "answered afresh");
    }
  }

  @Test
  static void anotherContainersStatementMacdUnderTheSessionIsRefused() throws Exception {
    // The runtime opened the session's secret, but the statement names another container (a
    // license the session was not sealed to): it cannot pass that license's answer off as this one's.
    Signer other = Signer.license(VENDOR, "ERP", List.of("reports"), null);
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    runtime.macs = (secret, purpose, nonce, answer) -> Signer.macProof(secret, purpose, other.containerId, nonce, answer);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      LictorRuntime rt = signedThenSessionNamed(fake, runtime);
      unproven("signature", () -> rt.check("ERP", "reports"), "another container's statement");
      unproven("signature", () -> rt.openSession("ERP", "reports"), "a session open, likewise");
    }
  }

  @Test
  static void aMacdAnswerThatDiffersFromItsStatementOrPurposeIsRefused() throws Exception {
    SessionRuntime runtime = new SessionRuntime(GENUINE);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      LictorRuntime rt = signedThenSessionNamed(fake, runtime);
      // The answer sent beside a genuine MAC altered.
      fake.handler(
          r -> {
            FakeRuntime.Answer a = runtime.handle(r);
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(a.body());
            m.put("serial", "LX-FAKE-FAKE-FAKE");
            return FakeRuntime.Answer.json(a.status(), m);
          });
      unproven("signature", () -> rt.check("ERP", "reports"), "the sent answer differs");
      // A check's MAC'd statement sent as the answer to a session open.
      runtime.macs = (secret, purpose, nonce, answer) -> Signer.macProof(secret, SignedAnswers.CHECK, GENUINE.containerId, nonce, answer);
      fake.handler(runtime);
      unproven("signature", () -> rt.openSession("ERP", "reports"), "another purpose");
    }
  }

  @Test
  static void aMacdAnswerByAnExpiredSessionLicenseIsRefused() throws Exception {
    Signer expiring = Signer.license(VENDOR, "ERP", List.of("reports"), "2026-06-01T00:00:00.000Z");
    SessionRuntime runtime = new SessionRuntime(expiring);
    try (FakeRuntime fake = new FakeRuntime(runtime)) {
      java.util.concurrent.atomic.AtomicReference<java.time.Instant> now =
          new java.util.concurrent.atomic.AtomicReference<>(java.time.Instant.parse("2026-05-31T23:59:58Z"));
      java.time.Clock clock =
          new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
              return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
              return this;
            }

            @Override
            public java.time.Instant instant() {
              return now.get();
            }
          };
      LictorRuntime rt = LictorRuntime.builder().vendorKey(VENDOR.vendorKey()).url(fake.url).clock(clock).build();
      rt.check("ERP", "reports");
      rt.check("ERP", "reports");
      equal(runtime.proofs, List.of("container", "session"), "MAC'd before expiry");
      now.set(java.time.Instant.parse("2026-06-01T00:00:00Z"));
      unproven("not-covered", () -> rt.check("ERP", "reports"), "MAC'd, the session's license expired");
    }
  }
}
