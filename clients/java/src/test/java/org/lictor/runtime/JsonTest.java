package org.lictor.runtime;

import static org.lictor.runtime.Assert.check;
import static org.lictor.runtime.Assert.equal;

import java.util.List;
import java.util.Map;

/** JSON as JavaScript reads and writes it. */
final class JsonTest {
  @Test
  static void readsAsJsonParse() {
    equal(Json.parse(" {\"a\":1,\"b\":[true,false,null],\"a\":2} "), Map.of("a", 2L, "b", java.util.Arrays.asList(true, false, null)), "duplicates: last wins");
    equal(Json.parse("1.0"), 1L, "1.0 is the integer 1");
    equal(Json.parse("-0"), 0L, "-0 is 0");
    equal(Json.parse("1e3"), 1000L, "1e3");
    equal(Json.parse("1.5"), 1.5, "a fraction");
    equal(Json.parse("9007199254740992"), 9007199254740992.0, "beyond 2^53 - 1 is not an integer");
    equal(Json.parse("\"\\ud83d\\ude00 \\u00e9\\/\""), "\ud83d\ude00 \u00e9/", "escapes");
    equal(Json.parse("\"\\udc00\""), "\udc00", "a lone surrogate");
    for (String bad : new String[] {"", "01", "1.", ".5", "+1", "[1,]", "{\"a\":1,}", "'a'", "\"\t\"", "tru", "[1] 2", "{a:1}", "\"\\x\"", "\"\\u00G0\"", "NaN", "\u00a01"}) {
      try {
        Json.parse(bad);
        throw new AssertionError("parsed: " + bad);
      } catch (Json.ParseException expected) {
        // refused
      }
    }
  }

  @Test
  static void writesAsJsonStringify() {
    equal(Json.canonical("\u0000\u001f\u007f\u2028\ud800x\"\\/"), "\"\\u0000\\u001f\u007f\u2028\\ud800x\\\"\\\\/\"", "escapes");
    equal(Json.canonical(List.of(1L, -1L, 0.0, -0.0)), "[1,-1,0,0]", "integers");
    equal(Json.canonical(Map.of("b", 1L, "a", Map.of())), "{\"a\":{},\"b\":1}", "sorted");
    try {
      Json.canonical(0.5);
      throw new AssertionError("0.5 encoded");
    } catch (Json.NotCanonicalException expected) {
      check(true, "");
    }
  }
}
