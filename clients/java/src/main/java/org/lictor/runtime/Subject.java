package org.lictor.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The subject digest of a license (docs/spec/license-file.md, "The subject digest"), formats 2
 * and 1, and the normalization of hardware parameters it covers.
 */
final class Subject {
  private Subject() {}

  /** base64url of the first 10 bytes of SHA-256 of {@code label \0 canonical(value)}. */
  private static String digest80(String label, Object value) {
    byte[] hash = Crypto.sha256(Bytes.utf8(label + "\0" + Json.canonical(value)));
    return Bytes.toBase64Url(Arrays.copyOf(hash, 10));
  }

  /** The private half of format 2: owner and what the license is bound to. */
  static Map<String, Object> privateSubject(LicenseDocument doc) {
    Map<String, Object> subject = new LinkedHashMap<>();
    subject.put("owner", new LinkedHashMap<>(doc.owner()));
    Map<String, Object> b = doc.binding();
    if ("token".equals(doc.bindingKind())) {
      subject.put("token", b.get("token"));
      subject.put("publicKey", b.get("publicKey"));
    } else {
      subject.put("hardware", normalizeHardware(asMap(b.get("hardware"))));
    }
    return subject;
  }

  static String privateDigest(LicenseDocument doc) {
    String text = "lictor/v2/subject-private\0" + Json.canonical(privateSubject(doc));
    return Bytes.toBase64Url(Crypto.sha256(Bytes.utf8(text)));
  }

  static Map<String, Object> format2Subject(LicenseDocument doc) {
    Map<String, Object> subject = new LinkedHashMap<>();
    subject.put("containerKeys", doc.containerKeysJson());
    subject.put("private", privateDigest(doc));
    return subject;
  }

  /** Format 2 (a license with container keys). */
  static String format2(LicenseDocument doc) {
    return digest80("lictor/v2/subject", format2Subject(doc));
  }

  static Map<String, Object> format1Subject(LicenseDocument doc) {
    Map<String, Object> subject = privateSubject(doc);
    if (doc.containerKeys() != null) subject.put("containerKeys", doc.containerKeysJson());
    return subject;
  }

  /** Format 1 (a license without container keys, or issued before format 2). */
  static String format1(LicenseDocument doc) {
    String label = "token".equals(doc.bindingKind()) ? "lictor/v1/token-subject" : "lictor/v1/subject";
    return digest80(label, format1Subject(doc));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }

  private static final Pattern MAJOR_MINOR = Pattern.compile("^(\\d+)(?:\\.(\\d+))?");

  /** The first two numbers of a version ({@code 10.0.22631} → {@code 10.0}); other text as it is. */
  static String majorMinor(String version) {
    Matcher m = MAJOR_MINOR.matcher(version);
    if (!m.find()) return version;
    return m.group(2) == null ? m.group(1) : m.group(1) + "." + m.group(2);
  }

  private static List<String> strings(Object list) {
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) list) out.add((String) o);
    return out;
  }

  private static List<String> cleanList(Object list) {
    List<String> out = new ArrayList<>();
    for (String s : strings(list)) {
      String c = Bytes.jsClean(s);
      if (!c.isEmpty()) out.add(c);
    }
    out.sort(null); // String.compareTo: UTF-16 code units, as JavaScript sorts
    return out;
  }

  /** hardware.ts normalizeHardware, for a checked hardware object. */
  static Map<String, Object> normalizeHardware(Map<String, Object> hw) {
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("platform", Bytes.jsClean((String) hw.get("platform")));
    n.put("osName", Bytes.jsClean((String) hw.get("osName")));
    n.put("osVersion", majorMinor(Bytes.jsClean((String) hw.get("osVersion"))));
    n.put("hostname", Bytes.jsClean((String) hw.get("hostname")).toLowerCase(Locale.ROOT));
    n.put("board", Bytes.jsClean((String) hw.get("board")));
    n.put("ramBytes", Math.max(0L, (Long) hw.get("ramBytes")));
    n.put("bios", Bytes.jsClean((String) hw.get("bios")));
    n.put("cpus", cleanList(hw.get("cpus")));
    LinkedHashSet<String> nics = new LinkedHashSet<>();
    for (String mac : strings(hw.get("nics"))) {
      String m = Bytes.jsTrim(mac).toLowerCase(Locale.ROOT).replace('-', ':');
      if (!m.isEmpty()) nics.add(m);
    }
    List<String> nicList = new ArrayList<>(nics);
    nicList.sort(null);
    n.put("nics", nicList);
    n.put("disks", new ArrayList<>(new LinkedHashSet<>(cleanList(hw.get("disks")))));
    for (String k : new String[] {"osSerial", "osInstallDate"}) {
      Object v = hw.get(k);
      if (v instanceof String && !((String) v).isEmpty()) {
        String c = Bytes.jsClean((String) v);
        if (!c.isEmpty()) n.put(k, c);
      }
    }
    return n;
  }
}
