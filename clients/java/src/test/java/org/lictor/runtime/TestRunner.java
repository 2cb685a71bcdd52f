package org.lictor.runtime;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A main-based test runner (no JUnit: the client uses the JDK alone). Runs every {@link Test}
 * method of the classes named on the command line (default: all unit test classes), prints one
 * line per test, and exits 1 if any failed. A test that cannot run here throws {@link Skip}.
 */
public final class TestRunner {
  /** Thrown by a test that cannot run in this environment, with the reason. */
  static final class Skip extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Skip(String reason) {
      super(reason);
    }
  }

  static final List<Class<?>> UNIT =
      List.of(
          JsonTest.class, VectorsTest.class, InstantsTest.class, FakeRuntimeTest.class, AnswerSessionTest.class, TransportTest.class);

  public static void main(String[] args) throws Exception {
    List<Class<?>> classes = new ArrayList<>();
    if (args.length == 0) classes.addAll(UNIT);
    for (String name : args) classes.add(Class.forName(name.contains(".") ? name : "org.lictor.runtime." + name));
    int passed = 0;
    int skipped = 0;
    List<String> failed = new ArrayList<>();
    for (Class<?> c : classes) {
      Method[] methods = c.getDeclaredMethods();
      Arrays.sort(methods, Comparator.comparing(Method::getName));
      Object instance = null;
      for (Method m : methods) {
        if (!m.isAnnotationPresent(Test.class)) continue;
        String name = c.getSimpleName() + "." + m.getName();
        long start = System.nanoTime();
        try {
          m.setAccessible(true);
          if (!Modifier.isStatic(m.getModifiers()) && instance == null) {
            var ctor = c.getDeclaredConstructor();
            ctor.setAccessible(true);
            instance = ctor.newInstance();
          }
          m.invoke(Modifier.isStatic(m.getModifiers()) ? null : instance);
          passed++;
          System.out.printf("ok   %s (%d ms)%n", name, (System.nanoTime() - start) / 1_000_000);
        } catch (InvocationTargetException e) {
          Throwable t = e.getCause();
          if (t instanceof Skip) {
            skipped++;
            System.out.printf("skip %s: %s%n", name, t.getMessage());
          } else {
            failed.add(name);
            System.out.printf("FAIL %s: %s%n", name, t);
            t.printStackTrace(System.out);
          }
        }
      }
    }
    System.out.printf("%d passed, %d failed, %d skipped%n", passed, failed.size(), skipped);
    if (!failed.isEmpty()) {
      System.out.println("failed: " + String.join(", ", failed));
      System.exit(1);
    }
  }
}
