#!/bin/sh
# Builds the Java client of the Lictor Runtime with the JDK alone (javac, jar) and runs its tests.
#
#   ./build.sh                 build build/lictor-runtime.jar, run the unit tests
#   ./build.sh --no-test       build the jar only
#   ./build.sh --integration   build, then run the tests against a real runtime (RealRuntimeTest:
#                              LICTOR_TEST_RUNTIME_SOCKET, LICTOR_TEST_RUNTIME_URL,
#                              LICTOR_TEST_PUBLIC_KEY, LICTOR_TEST_PRODUCT, LICTOR_TEST_FEATURE)
#                              and the example (Example.java: LICTOR_PUBLIC_KEY, LICTOR_PRODUCT,
#                              LICTOR_FEATURE, and the runtime found as an application finds it)
#   ./build.sh --all           both: unit tests, then the tests against a real runtime and the example
#
# JDK 17 or later (javac, jar, java on PATH, or JAVA_HOME). No other dependency, no download.
set -eu
cd "$(dirname "$0")"
if [ -n "${JAVA_HOME:-}" ]; then PATH="$JAVA_HOME/bin:$PATH"; fi
OUT=build
MODE=${1:-test}

rm -rf "$OUT"
mkdir -p "$OUT/classes" "$OUT/test-classes"
javac --release 17 -encoding UTF-8 -Xlint:all -Werror -d "$OUT/classes" $(find src/main/java -name '*.java')
jar --create --file "$OUT/lictor-runtime.jar" -C "$OUT/classes" .
echo "built $OUT/lictor-runtime.jar"
[ "$MODE" = "--no-test" ] && exit 0

javac --release 17 -encoding UTF-8 -Xlint:all -Werror -cp "$OUT/lictor-runtime.jar" -d "$OUT/test-classes" \
  $(find src/test/java -name '*.java')
CP="$OUT/lictor-runtime.jar:$OUT/test-classes"
case "$MODE" in
  test | --all) java -cp "$CP" org.lictor.runtime.TestRunner ;;
  --integration) ;;
  *) echo "unknown option $MODE" >&2; exit 2 ;;
esac
case "$MODE" in
  --integration | --all)
    java -cp "$CP" org.lictor.runtime.TestRunner RealRuntimeTest
    echo "example:"
    java -cp "$OUT/lictor-runtime.jar" Example.java
    ;;
esac
