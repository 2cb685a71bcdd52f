package org.lictor.runtime;

import java.util.Arrays;
import java.util.Objects;

/** Assertions for the tests. */
final class Assert {
  private Assert() {}

  static void check(boolean condition, String message) {
    if (!condition) throw new AssertionError(message);
  }

  static void equal(Object actual, Object expected, String what) {
    if (actual instanceof byte[] && expected instanceof byte[]) {
      if (!Arrays.equals((byte[]) actual, (byte[]) expected)) {
        throw new AssertionError(what + ": expected " + Bytes.toHex((byte[]) expected) + ", got " + Bytes.toHex((byte[]) actual));
      }
      return;
    }
    if (!Objects.equals(actual, expected)) {
      throw new AssertionError(what + ": expected <" + expected + ">, got <" + actual + ">");
    }
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body}, which must throw a {@link LictorException} with {@code code}; returns it. */
  static LictorException refused(String code, Body body, String what) {
    try {
      body.run();
    } catch (LictorException e) {
      if (!e.code().equals(code)) {
        AssertionError err = new AssertionError(what + ": expected " + code + ", got " + e.code() + " (" + e.getMessage() + ")");
        err.initCause(e);
        throw err;
      }
      return e;
    } catch (Exception e) {
      AssertionError err = new AssertionError(what + ": expected " + code + ", got " + e);
      err.initCause(e);
      throw err;
    }
    throw new AssertionError(what + ": expected " + code + ", but nothing was refused");
  }

  /** {@link #refused} with {@code LICTOR_E_ANSWER_UNPROVEN} and {@code details.reason} = {@code reason}. */
  static LictorException unproven(String reason, Body body, String what) {
    LictorException e = refused("LICTOR_E_ANSWER_UNPROVEN", body, what);
    equal(e.reason(), reason, what + ": reason (" + e.getMessage() + ")");
    return e;
  }
}
