package org.lictor.runtime;

import static org.lictor.runtime.Assert.equal;

/** Instants read as JavaScript's Date.parse reads them (values from Node 22). */
final class InstantsTest {
  @Test
  static void asDateParse() {
    String[][] cases = {
      {"2026-02-30T00:00:00Z", "1772409600000"},
      {"2026-02-31T00:00:00.5Z", "1772496000500"},
      {"2026-02-32T00:00:00Z", null},
      {"2026-00-10T00:00:00Z", null},
      {"2026-13-10T00:00:00Z", null},
      {"2026-01-00T00:00:00Z", null},
      {"2026-01-01T24:00:00Z", "1767312000000"},
      {"2026-01-01T24:00:01Z", null},
      {"2026-01-01T24:00:00.001Z", null},
      {"2026-01-01T23:60:00Z", null},
      {"2026-01-01T23:59:60Z", null},
      {"0000-01-01T00:00:00Z", "-62167219200000"},
      {"2026-01-01T00:00:00.12Z", "1767225600120"},
      {"2026-04-31T10:00:00.000Z", "1777629600000"},
      {"2026-01-01T00:00:00", null},
      {"2026-01-01 00:00:00Z", null},
    };
    for (String[] c : cases) {
      equal(Instants.parse(c[0]), c[1] == null ? null : Long.valueOf(c[1]), c[0]);
    }
  }
}
