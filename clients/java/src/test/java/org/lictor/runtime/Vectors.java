package org.lictor.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/**
 * The specification's test vectors (spec/vectors/ of the repository): from the directory named by
 * {@code LICTOR_SPEC_VECTORS} (or the system property {@code lictor.vectors}), else found by
 * walking up from the working directory.
 */
final class Vectors {
  private Vectors() {}

  static Path dir() {
    String named = System.getProperty("lictor.vectors", System.getenv("LICTOR_SPEC_VECTORS"));
    if (named != null && !named.isEmpty()) return Paths.get(named);
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("spec").resolve("vectors");
      if (Files.isDirectory(candidate)) return candidate;
    }
    throw new IllegalStateException("spec/vectors not found: set LICTOR_SPEC_VECTORS");
  }

  /** Whether the vector file {@code name}.json exists (a file added later, like signed-answer). */
  static boolean exists(String name) {
    return Files.exists(dir().resolve(name + ".json"));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> load(String name) {
    try {
      return (Map<String, Object>) Json.parse(Files.readString(dir().resolve(name + ".json"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  static String str(Map<String, Object> m, String key) {
    return (String) m.get(key);
  }
}
