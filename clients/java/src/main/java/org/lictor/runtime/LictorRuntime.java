package org.lictor.runtime;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client of the Lictor Runtime ({@code lictor runtime serve}, docs/runtime.md): checks, sessions,
 * floating seats and events over the runtime's Unix socket or loopback HTTP.
 *
 * <p>The application embeds its vendor's public key and gives it here. Every answer that grants
 * something (a check, a session, a seat) is signed over a fresh nonce this client sends, by the
 * container key of a license the vendor signed: the client opens that license with the vendor key,
 * checks it covers what was asked and is not expired, verifies the signature, and uses the answer
 * as signed. A runtime that cannot prove a genuine license of this vendor is refused with {@code
 * LICTOR_E_ANSWER_UNPROVEN}.
 *
 * <p>Within answer sessions by default (docs/spec/signed-answers.md, "Sessions with the runtime"):
 * after the first verified signed answer of a license (a check or a session opened), the client
 * seals a fresh 32-byte secret to that license's certified X25519 key ({@code containerKeys.box})
 * and sends it (header {@code lictor-session}) with its next checks and session opens of the same
 * product and feature, until an answer comes MAC'd under it (HMAC-SHA256 over the same statement
 * a signature covers, the fresh nonce included); from then on it sends the session's id. Only the
 * holder of the license's container private key can open the secret, so a MAC'd answer proves
 * what a signature does, at a fraction of the runtime's cost. A signed answer by the session's
 * license means the runtime lost the session (a restart) or that license was upgraded (the
 * session keeps its secret and takes the new license): the sealed secret is sent again; a
 * signed answer by another license starts a session with that license. {@link
 * Builder#answerSessions(boolean) answerSessions(false)} asks for signatures only. Seats are
 * always proven by the License Manager's signature.
 *
 * <pre>{@code
 * LictorRuntime runtime = LictorRuntime.connect("lictor-ed25519:…");
 * Grant grant = runtime.check("ERP", "reports");
 * try (Session session = runtime.openSession("ERP", "reports")) { … }
 * }</pre>
 *
 * <p>Where it connects: {@link Builder#socket} or {@link Builder#url} if given; else {@code
 * LICTOR_RUNTIME_SOCKET}, then {@code LICTOR_RUNTIME_URL}; else the default socket ({@code
 * $XDG_RUNTIME_DIR/lictor/runtime.sock}, else {@code /run/lictor/runtime.sock}) when it exists,
 * else {@code http://127.0.0.1:8791}. Instances are safe to share between threads.
 */
public final class LictorRuntime {
  /** The runtime's default loopback address. */
  public static final String DEFAULT_URL = "http://127.0.0.1:8791";
  /** Largest JSON answer read (a license file is a few kilobytes). */
  private static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;
  private static final int NONCE_BYTES = 32;

  private final VendorKey vendorKey;
  private final Transport transport;
  private final Clock clock;
  private final String role;
  private final Integer bitness;
  private final SecureRandom random = new SecureRandom();
  private final boolean answerSessions;
  /** Answer sessions by the container id of their license. */
  private final ConcurrentHashMap<String, ClientSession> sessionsByContainer = new ConcurrentHashMap<>();
  /** The container of the license that last signed a grant of each product and feature. */
  private final ConcurrentHashMap<String, String> grantingContainer = new ConcurrentHashMap<>();

  /** An answer session with the runtime, and whether the runtime has MAC'd under it (send the id alone). */
  private static final class ClientSession {
    /** Replaced by {@link SignedAnswers.AnswerSession#withLicense} when its license is upgraded. */
    volatile SignedAnswers.AnswerSession session;
    volatile boolean confirmed;

    ClientSession(SignedAnswers.AnswerSession session) {
      this.session = session;
    }

    String header() {
      return confirmed ? session.id : session.id + "." + session.sealed;
    }
  }

  private LictorRuntime(Builder b, Transport transport) {
    this.answerSessions = b.answerSessions;
    this.vendorKey = b.vendorKey;
    this.transport = transport;
    this.clock = b.clock;
    this.role = b.role;
    this.bitness = b.bitness;
  }

  /** A client with the default transport (see the class comment) for the vendor key {@code publicKey}. */
  public static LictorRuntime connect(String publicKey) {
    return builder().vendorKey(publicKey).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options of a {@link LictorRuntime}. */
  public static final class Builder {
    private VendorKey vendorKey;
    private Path socket;
    private String url;
    private Map<String, String> env = System.getenv();
    private Clock clock = Clock.systemUTC();
    private Duration timeout = Transport.DEFAULT_TIMEOUT;
    private String role;
    private Integer bitness;
    private boolean answerSessions = true;

    private Builder() {}

    /** The vendor public key the application embeds ({@code lictor-ed25519:…}); required. */
    public Builder vendorKey(String publicKey) {
      this.vendorKey = VendorKey.parse(publicKey);
      return this;
    }

    public Builder vendorKey(VendorKey key) {
      this.vendorKey = key;
      return this;
    }

    /** Connect over this Unix socket. */
    public Builder socket(Path path) {
      this.socket = path;
      this.url = null;
      return this;
    }

    /** Connect over loopback HTTP at this URL (e.g. {@code http://127.0.0.1:8791}). */
    public Builder url(String url) {
      this.url = url;
      this.socket = null;
      return this;
    }

    /** The environment read for {@code LICTOR_RUNTIME_SOCKET}, {@code LICTOR_RUNTIME_URL}, {@code XDG_RUNTIME_DIR}. */
    public Builder env(Map<String, String> env) {
      this.env = env;
      return this;
    }

    /** The clock that decides whether a license is expired (default: the system clock). */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** How long to wait for an answer (default 30 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** What the application is: {@code client} (default) or {@code server} (docs/rules.md). */
    public Builder role(String role) {
      this.role = role;
      return this;
    }

    /** The application's bitness: 64 (default) or 32. */
    public Builder bitness(int bitness) {
      this.bitness = bitness;
      return this;
    }

    /**
     * {@code true} (the default): checks and session opens within answer sessions, their answers
     * MAC'd after the first signed one of a license; {@code false}: every answer signed by the
     * license's container key (the header {@code lictor-session} is never sent).
     */
    public Builder answerSessions(boolean on) {
      this.answerSessions = on;
      return this;
    }

    public LictorRuntime build() {
      if (vendorKey == null) {
        throw new LictorException(
            "LICTOR_E_PUBLIC_KEY_INVALID", "the application's vendor public key (lictor-ed25519:…) is required");
      }
      return new LictorRuntime(this, transport());
    }

    private Transport transport() {
      if (socket != null) return SocketTransport.unix(socket, timeout);
      if (url != null) return new HttpTransport(url, timeout);
      String envSocket = env.get("LICTOR_RUNTIME_SOCKET");
      if (envSocket != null && !envSocket.isEmpty()) return SocketTransport.unix(Paths.get(envSocket), timeout);
      String envUrl = env.get("LICTOR_RUNTIME_URL");
      if (envUrl != null && !envUrl.isEmpty()) return new HttpTransport(envUrl, timeout);
      Path def = defaultSocket(env);
      if (def != null && Files.exists(def)) return SocketTransport.unix(def, timeout);
      return new HttpTransport(DEFAULT_URL, timeout);
    }
  }

  /** {@code $XDG_RUNTIME_DIR/lictor/runtime.sock}, else {@code /run/lictor/runtime.sock} (none on Windows). */
  static Path defaultSocket(Map<String, String> env) {
    if (System.getProperty("os.name", "").startsWith("Windows")) return null;
    String xdg = env.get("XDG_RUNTIME_DIR");
    if (xdg != null && !xdg.isEmpty()) return Paths.get(xdg, "lictor", "runtime.sock");
    boolean mac = System.getProperty("os.name", "").startsWith("Mac");
    return Paths.get(mac ? "/var/run/lictor/runtime.sock" : "/run/lictor/runtime.sock");
  }

  /** The vendor key answers are verified with. */
  public VendorKey vendorKey() {
    return vendorKey;
  }

  /** Where requests go ({@code unix:/path} or the URL). */
  public String endpoint() {
    return transport.describe();
  }

  // ---- operations ----

  /** {@code GET /v1/status}: the runtime's id and version, the licenses applications asked about, sessions and seats. */
  public Map<String, Object> status() {
    return plainObject(call("GET", "/v1/status", null), "status");
  }

  /** Checks the product alone; see {@link #check(String, String)}. */
  public Grant check(String product) {
    return check(product, null);
  }

  /**
   * {@code POST /v1/check}: is {@code product} (its {@code feature}, unless {@code null}) licensed
   * on this computer? Returns the signed grant; a refusal is a {@link LictorException} with the
   * SDK's code and reason ({@code LICTOR_E_NOT_LICENSED}, {@code LICTOR_E_FEATURE_NOT_LICENSED},
   * …); an answer without a valid proof is {@code LICTOR_E_ANSWER_UNPROVEN}.
   */
  public Grant check(String product, String feature) {
    String nonce = nonce();
    Map<String, Object> body = application(product);
    if (feature != null) body.put("feature", feature);
    body.put("nonce", nonce);
    SignedAnswers.Verified v = ask(SignedAnswers.CHECK, "/v1/check", body, nonce, product, feature);
    Map<String, Object> a = v.answer;
    return new Grant(
        text(a, "product"),
        textOrNull(a, "feature"),
        text(a, "serial"),
        text(a, "licenseId"),
        text(a, "type"),
        integerOrNull(a, "users"),
        textOrNull(a, "expiresAt"),
        text(a, "file"),
        v.license);
  }

  /** Opens a session for the product alone; see {@link #openSession(String, String)}. */
  public Session openSession(String product) {
    return openSession(product, null);
  }

  /**
   * {@code POST /v1/sessions}: a check, then a session of this process on the granting license
   * file (the runtime counts at most 256 processes per OS session and 256 OS sessions per file:
   * {@code LICTOR_E_SESSIONS_EXHAUSTED}). Close it when done.
   */
  public Session openSession(String product, String feature) {
    return openSession(product, feature, null);
  }

  /**
   * {@link #openSession(String, String)} declaring the OS session, which the runtime uses only
   * where it cannot ask the OS (not on Linux).
   */
  public Session openSession(String product, String feature, String osSession) {
    String nonce = nonce();
    Map<String, Object> body = application(product);
    if (feature != null) body.put("feature", feature);
    body.put("pid", ProcessHandle.current().pid());
    if (osSession != null) body.put("osSession", osSession);
    body.put("nonce", nonce);
    SignedAnswers.Verified v = ask(SignedAnswers.SESSION, "/v1/sessions", body, nonce, product, feature);
    return new Session(this, v.answer, v.license);
  }

  /** {@code DELETE /v1/sessions/{id}}; an unknown id is {@code LICTOR_E_SESSION_UNKNOWN}. */
  public void closeSession(String id) {
    call("DELETE", "/v1/sessions/" + pathSegment(id), null);
  }

  /** Takes a floating seat for the product alone; see {@link #takeSeat(String, String, List)}. */
  public Seat takeSeat(String product) {
    return takeSeat(product, null, null);
  }

  /** Takes a floating seat from the License Manager the runtime finds; see {@link #takeSeat(String, String, List)}. */
  public Seat takeSeat(String product, String feature) {
    return takeSeat(product, feature, null);
  }

  /**
   * {@code POST /v1/seats}: the runtime takes a floating seat from a License Manager ({@code
   * managers} in order, else the runtime's {@code lictor.ini}, {@code LICTOR_MANAGER}, then
   * discovery) and keeps it for this process (given back when the process exits). The proof is the
   * License Manager's own signature over this client's nonce, forwarded by the runtime.
   */
  public Seat takeSeat(String product, String feature, List<String> managers) {
    String nonce = nonce();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("publicKey", vendorKey.text());
    body.put("product", product);
    if (feature != null) body.put("feature", feature);
    if (managers != null && !managers.isEmpty()) body.put("managers", List.copyOf(managers));
    body.put("pid", ProcessHandle.current().pid());
    body.put("nonce", nonce);
    Object answer = call("POST", "/v1/seats", body);
    SignedAnswers.Verified v =
        SignedAnswers.verify(vendorKey, SignedAnswers.SEAT, nonce, answer, product, feature, clock.millis());
    // The runtime's own fields (its seat id, the manager, the state) with the lease as signed.
    Map<String, Object> seat = new LinkedHashMap<>(object(answer, "seat"));
    Map<String, Object> lease = object(v.answer.get("lease"), "lease");
    seat.put("leaseId", lease.get("id"));
    seat.put("product", lease.get("product"));
    seat.put("feature", lease.get("feature"));
    if (lease.get("expiresAt") instanceof String) seat.put("expiresAt", lease.get("expiresAt"));
    return new Seat(this, seat, v.license);
  }

  /** {@code DELETE /v1/seats/{id}}; an unknown id is {@code LICTOR_E_LEASE_UNKNOWN}. */
  public void releaseSeat(String id) {
    call("DELETE", "/v1/seats/" + pathSegment(id), null);
  }

  /** The runtime's events from now on (all products); see {@link #events(String, String)}. */
  public EventStream events() {
    return events(null, null);
  }

  /**
   * {@code GET /v1/events}: server-sent events. {@code product} keeps only license changes of that
   * product (other kinds always); {@code lastEventId} resumes after that event (a {@code reset}
   * event first if the runtime no longer has what followed it).
   */
  public EventStream events(String product, String lastEventId) {
    String path = "/v1/events" + (product == null ? "" : "?product=" + URLEncoder.encode(product, StandardCharsets.UTF_8));
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("accept", "text/event-stream");
    if (lastEventId != null) headers.put("last-event-id", lastEventId);
    Transport.Response res;
    try {
      res = transport.send("GET", path, null, headers, true);
    } catch (IOException e) {
      throw unreachable(e);
    }
    if (res.status != 200) {
      try (res) {
        throw errorOf(res.status, res.text(MAX_ANSWER_BYTES));
      } catch (IOException e) {
        throw unreachable(e);
      }
    }
    return new EventStream(res, lastEventId);
  }

  /**
   * {@code POST /v1/activations}: online activation through the License Center at {@code center},
   * into the runtime's license store. Returns {@code { activationId, serial, reactivated, file }}.
   */
  public Map<String, Object> activate(String product, String center, String serial, String pin, Map<String, String> owner) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("publicKey", vendorKey.text());
    body.put("product", product);
    body.put("center", center);
    body.put("serial", serial);
    body.put("pin", pin);
    body.put("owner", new LinkedHashMap<>(owner));
    return plainObject(call("POST", "/v1/activations", body), "activation");
  }

  // ---- plumbing ----

  /**
   * Sends a check or a session open, within the answer session of the license that last granted
   * this product and feature (if any), and verifies the answer, signed or MAC'd. After a signed
   * answer: by the session's license, the runtime lost the session (send the sealed secret again);
   * by a license without a session yet, a session with it. A signed answer by a license of a
   * container that has a session replaces the session's license with it (a remote upgrade: same
   * container and keys, new text, e.g. a later expiry; MAC'd answers are then checked against the
   * new one), keeping the secret; if its {@code containerKeys.box} changed, a new session instead.
   */
  private SignedAnswers.Verified ask(
      String purpose, String path, Map<String, Object> body, String nonce, String product, String feature) {
    String asked = product + "\0" + (feature == null ? "" : feature);
    String container = answerSessions ? grantingContainer.get(asked) : null;
    ClientSession session = container == null ? null : sessionsByContainer.get(container);
    Map<String, String> headers =
        session == null ? Map.of() : Map.of(SignedAnswers.SESSION_HEADER, session.header());
    Object answer = call("POST", path, body, headers);
    SignedAnswers.Verified v =
        SignedAnswers.verify(
            vendorKey, purpose, nonce, answer, product, feature, clock.millis(), session == null ? null : session.session);
    if (v.macd) {
      session.confirmed = true;
      return v;
    }
    if (!answerSessions) return v;
    String signer = v.license.containerId();
    if (session != null && session.session.license.containerId().equals(signer)) session.confirmed = false;
    ClientSession held = sessionsByContainer.get(signer);
    SignedAnswers.AnswerSession upgraded = held == null ? null : held.session.withLicense(v.license);
    if (upgraded != null) {
      held.session = upgraded;
    } else {
      SignedAnswers.AnswerSession opened = SignedAnswers.AnswerSession.open(v.license, random);
      if (opened != null && held == null) sessionsByContainer.putIfAbsent(signer, new ClientSession(opened));
      else if (opened != null) sessionsByContainer.replace(signer, held, new ClientSession(opened));
      else if (held != null) sessionsByContainer.remove(signer, held);
    }
    grantingContainer.put(asked, signer);
    return v;
  }

  private Map<String, Object> application(String product) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("publicKey", vendorKey.text());
    body.put("product", product);
    if (role != null) body.put("role", role);
    if (bitness != null) body.put("bitness", (long) bitness);
    return body;
  }

  /** A fresh nonce: base64url of 32 bytes from the OS's random source. */
  String nonce() {
    byte[] bytes = new byte[NONCE_BYTES];
    random.nextBytes(bytes);
    return Bytes.toBase64Url(bytes);
  }

  /** Whether {@code nonce} is canonical base64url of 16 to 64 bytes (what the runtime accepts). */
  static boolean isNonce(String nonce) {
    if (nonce == null || nonce.length() > 88) return false;
    byte[] bytes = Bytes.fromBase64Url(nonce);
    return bytes != null && bytes.length >= 16 && bytes.length <= 64;
  }

  private static String pathSegment(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Sends a request; returns the parsed JSON of a 2xx answer ({@code null} for 204); throws the error answer. */
  private Object call(String method, String path, Map<String, Object> body) {
    return call(method, path, body, Map.of());
  }

  private Object call(String method, String path, Map<String, Object> body, Map<String, String> headers) {
    String text;
    int status;
    try (Transport.Response res = transport.send(method, path, body == null ? null : Json.write(body), headers, false)) {
      status = res.status;
      text = res.text(MAX_ANSWER_BYTES);
    } catch (IOException e) {
      throw unreachable(e);
    }
    if (status < 200 || status >= 300) throw errorOf(status, text);
    if (status == 204 || text.isEmpty()) return null;
    try {
      return Json.parse(text);
    } catch (Json.ParseException e) {
      throw new LictorException(
          "LICTOR_E_RUNTIME_UNREACHABLE",
          "what answers on " + transport.describe() + " is not a Lictor Runtime (its answer is not JSON)",
          Map.of(),
          status,
          null);
    }
  }

  private LictorException unreachable(IOException e) {
    return new LictorException(
        "LICTOR_E_RUNTIME_UNREACHABLE",
        "no Lictor Runtime answers on " + transport.describe() + ": " + e,
        Map.of(),
        0,
        e);
  }

  /** The runtime's error answer {@code { code, message, details? }} as an exception. */
  @SuppressWarnings("unchecked")
  private LictorException errorOf(int status, String text) {
    Object parsed;
    try {
      parsed = Json.parse(text);
    } catch (Json.ParseException e) {
      parsed = null;
    }
    if (parsed instanceof Map) {
      Map<String, Object> e = (Map<String, Object>) parsed;
      Object code = e.get("code");
      Object message = e.get("message");
      if (code instanceof String && ((String) code).startsWith("LICTOR_E_")) {
        Map<String, Object> details = e.get("details") instanceof Map ? (Map<String, Object>) e.get("details") : Map.of();
        return new LictorException(
            (String) code, message instanceof String ? (String) message : (String) code, details, status, null);
      }
    }
    return new LictorException(
        "LICTOR_E_RUNTIME_UNREACHABLE",
        "what answers on " + transport.describe() + " is not a Lictor Runtime (HTTP " + status + " without a Lictor error)",
        Map.of(),
        status,
        null);
  }

  /** An answer that grants nothing (status, activation) that must be a JSON object. */
  @SuppressWarnings("unchecked")
  private Map<String, Object> plainObject(Object value, String what) {
    if (!(value instanceof Map)) {
      throw new LictorException(
          "LICTOR_E_RUNTIME_UNREACHABLE",
          "what answers on " + transport.describe() + " is not a Lictor Runtime (its " + what + " is not a JSON object)");
    }
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Object value, String what) {
    if (!(value instanceof Map)) {
      throw LictorException.unproven("malformed", "the runtime's " + what + " answer is not a JSON object");
    }
    return (Map<String, Object>) value;
  }

  static String text(Map<String, Object> a, String key) {
    Object v = a.get(key);
    if (!(v instanceof String)) {
      throw LictorException.unproven("malformed", "the signed answer's '" + key + "' is not text");
    }
    return (String) v;
  }

  static String textOrNull(Map<String, Object> a, String key) {
    Object v = a.get(key);
    if (v != null && !(v instanceof String)) {
      throw LictorException.unproven("malformed", "the signed answer's '" + key + "' is not text");
    }
    return (String) v;
  }

  static long integer(Map<String, Object> a, String key) {
    Object v = a.get(key);
    if (!(v instanceof Long)) {
      throw LictorException.unproven("malformed", "the signed answer's '" + key + "' is not an integer");
    }
    return (Long) v;
  }

  static Long integerOrNull(Map<String, Object> a, String key) {
    Object v = a.get(key);
    if (v != null && !(v instanceof Long)) {
      throw LictorException.unproven("malformed", "the signed answer's '" + key + "' is not an integer");
    }
    return (Long) v;
  }
}
