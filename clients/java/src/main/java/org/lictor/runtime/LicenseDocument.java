package org.lictor.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The checked contents of a license file (docs/spec/license-file.md, "License documents"). Only
 * {@link LicenseFile#open} makes one, after the vendor's signature verified: every field here is
 * covered by that signature.
 */
public final class LicenseDocument {
  /** One feature of a license entry; {@code users} is {@code null} when not counted. */
  public record Feature(String code, Long users) {}

  /** One license of the container. */
  public record Entry(
      String product,
      String type,
      long users,
      Long sessions,
      String arch,
      String expiresAt,
      List<Feature> features,
      /** The most days a seat may be borrowed; {@code null} when the vendor set none. */
      Long borrowDays,
      /** Minutes a client keeps its seat after losing its License Manager; {@code null} when not set. */
      Long graceMinutes) {
    /** Whether the entry lists feature {@code code}. */
    public boolean hasFeature(String code) {
      for (Feature f : features) if (f.code().equals(code)) return true;
      return false;
    }
  }

  /** The container's public keys, raw, base64url: Ed25519 ({@code sign}) and X25519 ({@code box}). */
  public record ContainerKeys(String sign, String box) {}

  private final String containerId;
  private final String activationId;
  private final String serial;
  private final long pin;
  private final String issuedAt;
  private final long counter;
  private final Map<String, String> owner;
  private final String bindingKind;
  private final Map<String, Object> binding;
  private final List<Entry> licenses;
  private final String requestNonce;
  private final String policy;
  private final ContainerKeys containerKeys;
  private final Map<String, Object> upgrade;

  private LicenseDocument(Parsed p) {
    this.containerId = p.containerId;
    this.activationId = p.activationId;
    this.serial = p.serial;
    this.pin = p.pin;
    this.issuedAt = p.issuedAt;
    this.counter = p.counter;
    this.owner = Collections.unmodifiableMap(p.owner);
    this.bindingKind = p.bindingKind;
    this.binding = Collections.unmodifiableMap(p.binding);
    this.licenses = List.copyOf(p.licenses);
    this.requestNonce = p.requestNonce;
    this.policy = p.policy;
    this.containerKeys = p.containerKeys;
    this.upgrade = p.upgrade == null ? null : Collections.unmodifiableMap(p.upgrade);
  }

  public String containerId() {
    return containerId;
  }

  public String activationId() {
    return activationId;
  }

  public String serial() {
    return serial;
  }

  /** 1-based index of the PIN used (never the PIN). */
  public long pin() {
    return pin;
  }

  public String issuedAt() {
    return issuedAt;
  }

  /** The container's upgrade counter, 0 at activation. */
  public long counter() {
    return counter;
  }

  /** Owner registration data. */
  public Map<String, String> owner() {
    return owner;
  }

  /** {@code hardware} or {@code token}. */
  public String bindingKind() {
    return bindingKind;
  }

  /** The binding as JSON ({@code kind} and {@code hardware}, or {@code kind}, {@code token}, {@code publicKey}). */
  public Map<String, Object> binding() {
    return binding;
  }

  public List<Entry> licenses() {
    return licenses;
  }

  /** The nonce of the offline request this license answers, or {@code null}. */
  public String requestNonce() {
    return requestNonce;
  }

  /** {@code standard} or {@code software-dongle} ({@code null}: standard). */
  public String policy() {
    return policy;
  }

  /** The container's public keys, or {@code null} for a license activated before containers had keys. */
  public ContainerKeys containerKeys() {
    return containerKeys;
  }

  /**
   * Whether the license holds an entry of {@code product} (with {@code feature}, unless it is
   * {@code null}) that is not expired at {@code nowMillis} (epoch milliseconds).
   */
  public boolean covers(String product, String feature, long nowMillis) {
    for (Entry e : licenses) {
      if (!e.product().equals(product)) continue;
      if (feature != null && !e.hasFeature(feature)) continue;
      if (e.expiresAt() != null) {
        Long expires = Instants.parse(e.expiresAt());
        if (expires == null || expires <= nowMillis) continue;
      }
      return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return "LicenseDocument[serial=" + serial + ", containerId=" + containerId + "]";
  }

  // ---- reading (license.ts parseLicenseDocument) ----

  private static final Pattern CODE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$");
  private static final Pattern ISO = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$");

  private static final class Parsed {
    String containerId;
    String activationId;
    String serial;
    long pin;
    String issuedAt;
    long counter;
    Map<String, String> owner;
    String bindingKind;
    Map<String, Object> binding;
    List<Entry> licenses;
    String requestNonce;
    String policy;
    ContainerKeys containerKeys;
    Map<String, Object> upgrade;
  }

  /** The document and the views its vendor signature may cover (format 2 first, then format 1). */
  static final class Read {
    final LicenseDocument document;
    final List<Map<String, Object>> views;

    Read(LicenseDocument document, List<Map<String, Object>> views) {
      this.document = document;
      this.views = views;
    }
  }

  private static LictorException fail(String field, String what) {
    return new LictorException("LICTOR_E_FILE_FORMAT", "license file field '" + field + "' " + what);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> obj(Object v, String field) {
    if (!(v instanceof Map)) throw fail(field, "must be an object");
    return (Map<String, Object>) v;
  }

  private static String str(Object v, String field, int max) {
    if (!(v instanceof String) || ((String) v).length() > max) throw fail(field, "must be a string");
    return (String) v;
  }

  private static long integer(Object v, String field, long min) {
    if (!(v instanceof Long) || (Long) v < min) throw fail(field, "must be an integer ≥ " + min);
    return (Long) v;
  }

  private static String code(Object v, String field) {
    String s = str(v, field, 64);
    if (!CODE.matcher(s).matches()) throw fail(field, "must be a product or feature code");
    return s;
  }

  private static String instant(Object v, String field) {
    String s = str(v, field, 40);
    if (!ISO.matcher(s).matches() || Instants.parse(s) == null) throw fail(field, "must be an ISO 8601 UTC instant");
    return s;
  }

  private static Entry entry(Object v, String field) {
    Map<String, Object> e = obj(v, field);
    Object type = e.get("type");
    if (!"single".equals(type) && !"multi".equals(type) && !"server".equals(type) && !"server-sessions".equals(type)) {
      throw fail(field + ".type", "is not a known license type");
    }
    if (!e.containsKey("arch")) throw fail(field + ".arch", "must be x86, x64 or null");
    Object arch = e.get("arch");
    if (arch != null && !"x86".equals(arch) && !"x64".equals(arch)) throw fail(field + ".arch", "must be x86, x64 or null");
    if (!(e.get("features") instanceof List)) throw fail(field + ".features", "must be a list");
    String product = code(e.get("product"), field + ".product");
    long users = integer(e.get("users"), field + ".users", 1);
    Object s = e.get("sessions");
    if (!e.containsKey("sessions")) throw fail(field + ".sessions", "must be an integer ≥ 1");
    Long sessions = s == null ? null : integer(s, field + ".sessions", 1);
    if (!e.containsKey("expiresAt")) throw fail(field + ".expiresAt", "must be an ISO 8601 UTC instant");
    Object x = e.get("expiresAt");
    String expiresAt = x == null ? null : instant(x, field + ".expiresAt");
    List<Feature> features = new ArrayList<>();
    List<?> list = (List<?>) e.get("features");
    for (int i = 0; i < list.size(); i++) {
      String f = field + ".features[" + i + "]";
      Map<String, Object> g = obj(list.get(i), f);
      String code = str(g.get("code"), f + ".code", 64);
      if (!g.containsKey("users")) throw fail(f + ".users", "must be an integer ≥ 1");
      Object u = g.get("users");
      features.add(new Feature(code, u == null ? null : integer(u, f + ".users", 1)));
    }
    // The vendor's terms for borrowing and the grace period: signed with the entry, absent unless set.
    Long borrowDays = term(e, "borrowDays", field, 365);
    Long graceMinutes = term(e, "graceMinutes", field, 7 * 24 * 60);
    return new Entry(
        product, (String) type, users, sessions, (String) arch, expiresAt, List.copyOf(features), borrowDays, graceMinutes);
  }

  private static Long term(Map<String, Object> e, String name, String field, long most) {
    if (!e.containsKey(name)) return null;
    long n = integer(e.get(name), field + "." + name, 1);
    if (n > most) throw fail(field + "." + name, "must be at most " + most);
    return n;
  }

  private static boolean isHardware(Object value) {
    if (!(value instanceof Map) && !(value instanceof List)) return false;
    if (value instanceof List) return false; // an array has no string members
    Map<?, ?> v = (Map<?, ?>) value;
    for (String k : new String[] {"platform", "osName", "osVersion", "hostname", "board", "bios"}) {
      if (!shortString(v.get(k))) return false;
    }
    Object ram = v.get("ramBytes");
    if (!(ram instanceof Long) || (Long) ram < 0) return false;
    for (String k : new String[] {"cpus", "nics", "disks"}) {
      Object list = v.get(k);
      if (!(list instanceof List) || ((List<?>) list).size() > 64) return false;
      for (Object item : (List<?>) list) if (!shortString(item)) return false;
    }
    for (String k : new String[] {"osSerial", "osInstallDate"}) {
      if (v.containsKey(k) && !shortString(v.get(k))) return false;
    }
    return true;
  }

  private static boolean shortString(Object v) {
    return v instanceof String && ((String) v).length() <= 256;
  }

  /** Checks the shape of a decrypted payload; {@code LICTOR_E_FILE_FORMAT} otherwise. */
  static Read read(Object payload) {
    Map<String, Object> d = obj(payload, "(root)");
    if (!Long.valueOf(1).equals(d.get("format"))) throw fail("format", "must be 1");
    Parsed p = new Parsed();
    Map<String, Object> b = obj(d.get("binding"), "binding");
    p.binding = new LinkedHashMap<>();
    if ("hardware".equals(b.get("kind")) && isHardware(b.get("hardware"))) {
      p.bindingKind = "hardware";
      p.binding.put("kind", "hardware");
      p.binding.put("hardware", b.get("hardware"));
    } else if ("token".equals(b.get("kind"))) {
      Map<String, Object> t = obj(b.get("token"), "binding.token");
      Map<String, Object> token = new LinkedHashMap<>();
      token.put("manufacturer", str(t.get("manufacturer"), "binding.token.manufacturer", 64));
      token.put("model", str(t.get("model"), "binding.token.model", 64));
      token.put("serial", str(t.get("serial"), "binding.token.serial", 64));
      p.bindingKind = "token";
      p.binding.put("kind", "token");
      p.binding.put("token", token);
      p.binding.put("publicKey", str(b.get("publicKey"), "binding.publicKey", 512));
    } else {
      throw fail("binding", "is neither a hardware nor a token binding");
    }
    Map<String, Object> owner = obj(d.get("owner"), "owner");
    p.owner = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : owner.entrySet()) {
      p.owner.put(e.getKey(), str(e.getValue(), "owner." + e.getKey(), 256));
    }
    if (!(d.get("licenses") instanceof List) || ((List<?>) d.get("licenses")).isEmpty()) {
      throw fail("licenses", "must be a non-empty list");
    }
    if (d.containsKey("requestNonce")) p.requestNonce = str(d.get("requestNonce"), "requestNonce", 64);
    if (d.containsKey("policy")) {
      Object policy = d.get("policy");
      if (!"standard".equals(policy) && !"software-dongle".equals(policy)) throw fail("policy", "is not a known policy");
      p.policy = (String) policy;
    }
    if (d.containsKey("containerKeys")) {
      Map<String, Object> k = obj(d.get("containerKeys"), "containerKeys");
      p.containerKeys =
          new ContainerKeys(str(k.get("sign"), "containerKeys.sign", 64), str(k.get("box"), "containerKeys.box", 64));
    }
    if (d.containsKey("upgrade")) {
      Map<String, Object> u = obj(d.get("upgrade"), "upgrade");
      p.upgrade = new LinkedHashMap<>();
      p.upgrade.put("nonce", str(u.get("nonce"), "upgrade.nonce", 64));
      p.upgrade.put("fromCounter", integer(u.get("fromCounter"), "upgrade.fromCounter", 0));
      p.upgrade.put("confirm", str(u.get("confirm"), "upgrade.confirm", 256));
    }
    p.containerId = str(d.get("containerId"), "containerId", 64);
    p.activationId = str(d.get("activationId"), "activationId", 64);
    p.serial = str(d.get("serial"), "serial", 64);
    p.pin = integer(d.get("pin"), "pin", 1);
    p.issuedAt = instant(d.get("issuedAt"), "issuedAt");
    p.counter = integer(d.get("counter"), "counter", 0);
    List<?> entries = (List<?>) d.get("licenses");
    p.licenses = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) p.licenses.add(entry(entries.get(i), "licenses[" + i + "]"));

    LicenseDocument doc = new LicenseDocument(p);
    List<Map<String, Object>> views = new ArrayList<>();
    if (p.containerKeys != null) {
      views.add(doc.signedView(Subject.format2(doc)));
      views.add(doc.signedView(Subject.format1(doc)));
    } else {
      views.add(doc.signedView(Subject.format1(doc)));
    }
    return new Read(doc, views);
  }

  // ---- the signed view (license-file.ts licenseSignedView) ----

  /** The document as JSON, without owner, binding and container keys. */
  private Map<String, Object> rest() {
    Map<String, Object> v = new LinkedHashMap<>();
    if (requestNonce != null) v.put("requestNonce", requestNonce);
    if (policy != null) v.put("policy", policy);
    if (upgrade != null) v.put("upgrade", upgrade);
    v.put("format", 1L);
    v.put("containerId", containerId);
    v.put("activationId", activationId);
    v.put("serial", serial);
    v.put("pin", pin);
    v.put("issuedAt", issuedAt);
    v.put("counter", counter);
    List<Object> entries = new ArrayList<>();
    for (Entry e : licenses) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("product", e.product());
      m.put("type", e.type());
      m.put("users", e.users());
      m.put("sessions", e.sessions());
      m.put("arch", e.arch());
      m.put("expiresAt", e.expiresAt());
      List<Object> features = new ArrayList<>();
      for (Feature f : e.features()) {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("code", f.code());
        g.put("users", f.users());
        features.add(g);
      }
      m.put("features", features);
      if (e.borrowDays() != null) m.put("borrowDays", e.borrowDays());
      if (e.graceMinutes() != null) m.put("graceMinutes", e.graceMinutes());
      entries.add(m);
    }
    v.put("licenses", entries);
    return v;
  }

  /** What the vendor's signature covers, with subject digest {@code subject}. */
  Map<String, Object> signedView(String subject) {
    Map<String, Object> v = rest();
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("kind", bindingKind);
    b.put("subject", subject);
    v.put("binding", b);
    return v;
  }

  /** The document as JSON (what a writer seals as the payload). */
  Map<String, Object> toJson() {
    Map<String, Object> v = rest();
    v.put("owner", new LinkedHashMap<>(owner));
    v.put("binding", binding);
    if (containerKeys != null) {
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("sign", containerKeys.sign());
      k.put("box", containerKeys.box());
      v.put("containerKeys", k);
    }
    return v;
  }

  Map<String, Object> containerKeysJson() {
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("sign", containerKeys.sign());
    k.put("box", containerKeys.box());
    return k;
  }
}
