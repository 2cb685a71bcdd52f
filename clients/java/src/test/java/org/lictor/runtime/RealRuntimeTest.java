package org.lictor.runtime;

import static org.lictor.runtime.Assert.check;
import static org.lictor.runtime.Assert.equal;
import static org.lictor.runtime.Assert.refused;
import static org.lictor.runtime.Assert.unproven;

import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Against a real {@code lictor runtime serve} (driven by {@code
 * packages/runtime/test/client-java.slow.test.ts}), named by the environment:
 * {@code LICTOR_TEST_RUNTIME_SOCKET}, {@code LICTOR_TEST_RUNTIME_URL}, {@code LICTOR_TEST_PUBLIC_KEY}
 * (the vendor key), {@code LICTOR_TEST_PRODUCT} and {@code LICTOR_TEST_FEATURE} (licensed on this
 * computer, with a License Manager for seats), optionally {@code LICTOR_TEST_SERIAL} (the serial of
 * the runtime's license): the same variables as the C and Python clients' integration tests. Run with {@code build.sh --integration}; every test skips without them.
 */
final class RealRuntimeTest {
  static String env(String name) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) throw new TestRunner.Skip(name + " is not set (run from client-java.slow.test.ts)");
    return v;
  }

  static LictorRuntime socket() {
    return LictorRuntime.builder().vendorKey(env("LICTOR_TEST_PUBLIC_KEY")).socket(Paths.get(env("LICTOR_TEST_RUNTIME_SOCKET"))).build();
  }

  static LictorRuntime http() {
    return LictorRuntime.builder().vendorKey(env("LICTOR_TEST_PUBLIC_KEY")).url(env("LICTOR_TEST_RUNTIME_URL")).build();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  static long count(LictorRuntime rt, String what) {
    return (Long) map(rt.status().get(what)).get("count");
  }

  @Test
  static void statusOverTheSocketAndLoopbackHttp() {
    Map<String, Object> a = map(socket().status().get("runtime"));
    Map<String, Object> b = map(http().status().get("runtime"));
    equal(a.get("id"), b.get("id"), "one runtime on both");
    equal(a.get("socket"), env("LICTOR_TEST_RUNTIME_SOCKET"), "its socket");
    equal(a.get("url"), env("LICTOR_TEST_RUNTIME_URL"), "its URL");
  }

  @Test
  static void checksAreSignedAndVerified() {
    String product = env("LICTOR_TEST_PRODUCT");
    String feature = env("LICTOR_TEST_FEATURE");
    for (LictorRuntime rt : List.of(socket(), http())) {
      Grant grant = rt.check(product, feature);
      equal(grant.product(), product, "product");
      equal(grant.feature(), feature, "feature");
      String serial = System.getenv("LICTOR_TEST_SERIAL");
      if (serial != null) equal(grant.serial(), serial, "serial");
      equal(grant.license().serial(), grant.serial(), "the proving license is the granting one");
      check(grant.license().containerKeys() != null, "with a container key");
      equal(rt.check(product).feature(), null, "the product alone");
      refused("LICTOR_E_FEATURE_NOT_LICENSED", () -> rt.check(product, "no-such-feature"), "a feature not licensed");
      refused("LICTOR_E_NOT_LICENSED", () -> rt.check("NO-SUCH-PRODUCT"), "a product not licensed");
    }
    // An application of another vendor finds no license of its own.
    LictorRuntime other =
        LictorRuntime.builder().vendorKey(TestKeys.fresh().vendorKey()).socket(Paths.get(env("LICTOR_TEST_RUNTIME_SOCKET"))).build();
    refused("LICTOR_E_NOT_LICENSED", () -> other.check(product, feature), "another vendor's application");
  }

  @Test
  static void sessionsOpenAndClose() {
    String product = env("LICTOR_TEST_PRODUCT");
    String feature = env("LICTOR_TEST_FEATURE");
    LictorRuntime rt = socket();
    long before = count(rt, "sessions");
    Session session = rt.openSession(product, feature);
    equal(session.pid(), ProcessHandle.current().pid(), "this process");
    equal(session.product(), product, "product");
    equal(session.license().serial(), session.serial(), "the proving license");
    equal(count(http(), "sessions"), before + 1, "counted");
    session.close();
    equal(count(rt, "sessions"), before, "closed");
    refused("LICTOR_E_SESSION_UNKNOWN", () -> rt.closeSession(session.id()), "closed twice");
  }

  @Test
  static void seatsAreTakenAndGivenBack() {
    String product = env("LICTOR_TEST_PRODUCT");
    String feature = env("LICTOR_TEST_FEATURE");
    for (LictorRuntime rt : List.of(socket(), http())) {
      long before = count(rt, "seats");
      Seat seat = rt.takeSeat(product, feature);
      equal(seat.state(), "active", "active");
      equal(seat.product(), product, "product");
      check(!seat.leaseId().isEmpty(), "a lease");
      check(seat.license().covers(product, feature, System.currentTimeMillis()), "the manager's license covers it");
      equal(count(rt, "seats"), before + 1, "held");
      seat.close();
      equal(count(rt, "seats"), before, "given back");
      refused("LICTOR_E_LEASE_UNKNOWN", () -> rt.releaseSeat(seat.id()), "given back twice");
    }
  }

  @Test
  static void eventsResetForAnUnknownId() throws Exception {
    for (LictorRuntime rt : List.of(socket(), http())) {
      try (EventStream events = rt.events(env("LICTOR_TEST_PRODUCT"), "not-this-run-1")) {
        RuntimeEvent first = events.next();
        equal(first.kind(), "reset", "a reset first");
        check(first.field("at") != null, "with its time");
      }
    }
  }

  /** A relay between the client and the real runtime that can change requests and answers. */
  interface Tamper {
    Map<String, Object> request(Map<String, Object> body);
  }

  static FakeRuntime relay(Tamper request, Tamper answer) throws Exception {
    return relay(request, answer, false);
  }

  /** {@link #relay(Tamper, Tamper)}, passing the client's {@code lictor-session} header on if {@code sessions}. */
  static FakeRuntime relay(Tamper request, Tamper answer, boolean sessions) throws Exception {
    Transport real = SocketTransport.unix(Paths.get(env("LICTOR_TEST_RUNTIME_SOCKET")), Transport.DEFAULT_TIMEOUT);
    return new FakeRuntime(
        r -> {
          String body = r.body().isEmpty() ? null : Json.write(request.request(r.json()));
          String session = r.headers().get(SignedAnswers.SESSION_HEADER);
          Map<String, String> headers =
              sessions && session != null ? Map.of(SignedAnswers.SESSION_HEADER, session) : Map.of();
          try (Transport.Response res = real.send(r.method(), r.path(), body, headers, false)) {
            String text = res.text(1 << 22);
            if (res.status == 204 || text.isEmpty()) return FakeRuntime.Answer.json(res.status, null);
            return FakeRuntime.Answer.json(res.status, answer.request(map(Json.parse(text))));
          }
        });
  }

  static LictorRuntime through(FakeRuntime relay, String vendorKey) {
    return LictorRuntime.builder().vendorKey(vendorKey).url(relay.url).build();
  }

  /** How each granting answer relayed was proven: {@code container}, {@code session}, or {@code -}. */
  static Tamper proofs(List<String> into) {
    return a -> {
      Object proof = a.get("proof");
      if (a.containsKey("proof") || a.containsKey("unproven")) {
        into.add(proof instanceof Map ? String.valueOf(map(proof).get("key")) : "-");
      }
      return a;
    };
  }

  @Test
  static void withinAnAnswerSessionTheThirdCheckIsMacd() throws Exception {
    String key = env("LICTOR_TEST_PUBLIC_KEY");
    String product = env("LICTOR_TEST_PRODUCT");
    String feature = env("LICTOR_TEST_FEATURE");
    // Directly, over both transports: every answer verified, signed (the first, and the one that
    // opens the session at the runtime) then MAC'd.
    for (LictorRuntime rt : List.of(socket(), http())) {
      for (int i = 0; i < 3; i++) equal(rt.check(product, feature).product(), product, "check " + i);
      rt.openSession(product, feature).close();
    }
    // Through a relay that passes the header on and records how each answer was proven.
    List<String> proven = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> headers = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (FakeRuntime relay = relay(b -> b, proofs(proven), true)) {
      LictorRuntime rt = through(relay, key);
      Grant signed = rt.check(product, feature);
      Grant opening = rt.check(product, feature);
      // Signed again: its license is opened anew (the same license, another object).
      equal(
          new Grant(
              opening.product(), opening.feature(), opening.serial(), opening.licenseId(), opening.type(),
              opening.users(), opening.expiresAt(), opening.file(), signed.license()),
          signed,
          "the grant that opened the session (signed) is the first one");
      equal(opening.license().containerId(), signed.license().containerId(), "the same container");
      Grant macd = rt.check(product, feature);
      equal(macd, opening, "the MAC'd grant is the signed one, with the session's license");
      Session session = rt.openSession(product, feature);
      equal(session.license().serial(), session.serial(), "the session's license");
      session.close();
      for (FakeRuntime.Request r : relay.requests) {
        if (r.method().equals("POST")) headers.add(String.valueOf(r.headers().get(SignedAnswers.SESSION_HEADER)));
      }
      equal(
          proven,
          List.of("container", "container", "session", "session"),
          "signed, signed again as the runtime opens the session, then MAC'd");
      equal(headers.get(0), "null", "the first check names no session");
      check(headers.get(1).matches("[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{123}"), "then the sealed secret: " + headers.get(1));
      equal(headers.get(2), headers.get(1), "the sealed secret again until an answer comes MAC'd");
      String id = headers.get(1).substring(0, 22);
      equal(headers.get(3), id, "then the id alone");
      // Signatures only: no header, every answer signed.
      proven.clear();
      LictorRuntime signatures = LictorRuntime.builder().vendorKey(key).url(relay.url).answerSessions(false).build();
      signatures.check(product, feature);
      signatures.check(product, feature);
      equal(proven, List.of("container", "container"), "signatures only");
    }
    // A genuine MAC'd answer replayed for a later request, or altered on the way, is refused.
    List<Map<String, Object>> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicReference<String> mode = new java.util.concurrent.atomic.AtomicReference<>("as is");
    try (FakeRuntime relay =
        relay(
            b -> b,
            a -> {
              answers.add(a);
              Map<String, Object> out = new LinkedHashMap<>(a);
              if (mode.get().equals("replay")) return answers.get(2);
              if (mode.get().equals("alter") && out.containsKey("serial")) out.put("serial", "LX-FAKE-FAKE-FAKE");
              return out;
            },
            true)) {
      LictorRuntime rt = through(relay, key);
      rt.check(product, feature);
      rt.check(product, feature);
      rt.check(product, feature);
      equal(map(answers.get(1).get("proof")).get("key"), "container", "the answer that opened the session signed");
      equal(map(answers.get(2).get("proof")).get("key"), "session", "the third answer MAC'd");
      mode.set("replay");
      unproven("signature", () -> rt.check(product, feature), "a MAC'd answer replayed");
      mode.set("alter");
      unproven("signature", () -> rt.check(product, feature), "a MAC'd answer altered");
      mode.set("as is");
      equal(rt.check(product, feature).product(), product, "relayed as is again");
    }
  }

  @Test
  static void realAnswersTamperedWithOnTheWayAreRefused() throws Exception {
    String key = env("LICTOR_TEST_PUBLIC_KEY");
    String product = env("LICTOR_TEST_PRODUCT");
    String feature = env("LICTOR_TEST_FEATURE");
    // Relayed unchanged: believed (the positive control of the cases below).
    try (FakeRuntime relay = relay(b -> b, a -> a)) {
      equal(through(relay, key).check(product, feature).product(), product, "relayed as is");
    }
    // The runtime signs over a nonce the client did not send (a replay of another request's answer).
    List<String> granted = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (FakeRuntime relay =
        relay(
            b -> {
              Map<String, Object> out = new LinkedHashMap<>(b);
              if (out.containsKey("nonce")) out.put("nonce", Bytes.toBase64Url(Signer.random(16)));
              return out;
            },
            a -> {
              if (a.get("id") instanceof String) granted.add((String) a.get("id"));
              return a;
            })) {
      LictorRuntime rt = through(relay, key);
      unproven("signature", () -> rt.check(product, feature), "check over another nonce");
      unproven("signature", () -> rt.openSession(product, feature), "session over another nonce");
      unproven("signature", () -> rt.takeSeat(product, feature), "seat over another nonce");
    }
    // The runtime did grant them (to whoever could read its answers): give them back.
    equal(granted.size(), 2, "a session and a seat were granted");
    socket().closeSession(granted.get(0));
    socket().releaseSeat(granted.get(1));
    // The proof taken away.
    try (FakeRuntime relay =
        relay(
            b -> b,
            a -> {
              Map<String, Object> out = new LinkedHashMap<>(a);
              out.remove("proof");
              return out;
            })) {
      unproven("missing", () -> through(relay, key).check(product, feature), "no proof");
    }
    // The answer changed after it was signed.
    try (FakeRuntime relay =
        relay(
            b -> b,
            a -> {
              Map<String, Object> out = new LinkedHashMap<>(a);
              if (out.containsKey("serial")) out.put("serial", "LX-FAKE-FAKE-FAKE");
              return out;
            })) {
      unproven("signature", () -> through(relay, key).check(product, feature), "an altered answer");
    }
    // An application of another vendor, answered with this vendor's genuine license.
    String otherKey = TestKeys.fresh().vendorKey().text();
    try (FakeRuntime relay =
        relay(
            b -> {
              Map<String, Object> out = new LinkedHashMap<>(b);
              if (out.containsKey("publicKey")) out.put("publicKey", key);
              return out;
            },
            a -> a)) {
      LictorException e = unproven("license", () -> through(relay, otherKey).check(product, feature), "another vendor");
      equal(e.details().get("cause"), "LICTOR_E_WRONG_VENDOR", "cause");
    }
  }
}
