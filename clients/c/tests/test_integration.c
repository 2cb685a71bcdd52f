/*
 * Against a real `lictor runtime serve`, started by packages/runtime/test/client-c.slow.test.ts
 * with a license of the test vendor activated in its store and a License Manager. Skips (77)
 * without LICTOR_TEST_PUBLIC_KEY and LICTOR_TEST_PRODUCT. Runs the same sequence over the socket
 * (LICTOR_TEST_RUNTIME_SOCKET) and over HTTP (LICTOR_TEST_RUNTIME_URL), whichever are given, and
 * prints one line per step for the harness.
 */
#include <stdlib.h>
#include <string.h>

#include "support.h"

static void sequence(const char *label, const lictor_runtime_options *o, const char *product, const char *feature,
                     int seats) {
  lictor_runtime *rt = NULL;
  lictor_error err;
  CHECK(lictor_runtime_open(o, &rt, &err) == LICTOR_OK, "%s: open: %s", label, err.message);
  if (rt == NULL) return;
  lictor_runtime_status *st = NULL;
  int rc = lictor_runtime_get_status(rt, &st, &err);
  CHECK(rc == LICTOR_OK, "%s: status: %s %s", label, err.code, err.message);
  if (st != NULL) printf("%s status runtime %s version %s\n", label, st->runtime_id, st->version);
  lictor_runtime_status_free(st);

  lictor_grant *g = NULL;
  rc = lictor_runtime_check(rt, product, feature, &g, &err);
  CHECK(rc == LICTOR_OK, "%s: check %s/%s: %s %s [%s]", label, product, feature, err.code, err.message, err.reason);
  if (g != NULL) {
    CHECK_STR(g->product, product, "granted product");
    CHECK_STR(g->feature, feature, "granted feature");
    CHECK(!g->session_mac, "%s: the first check is signed", label);
    printf("%s check %s/%s serial %s container %s\n", label, product, feature, g->serial, g->container_id);
  }
  lictor_grant_free(g);
  /*
   * The answer session the handle opened after that signed answer: the check that carries its
   * sealed secret opens it at the runtime and is signed (with the license the runtime holds the
   * session under), the next ones are MAC'd.
   */
  rc = lictor_runtime_check(rt, product, feature, &g, &err);
  CHECK(rc == LICTOR_OK && g != NULL && !g->session_mac, "%s: check 2, opening the session, signed: %s %s [%s]",
        label, err.code, err.message, err.reason);
  lictor_grant_free(g);
  for (int k = 0; k < 2; k++) {
    rc = lictor_runtime_check(rt, product, feature, &g, &err);
    CHECK(rc == LICTOR_OK && g != NULL && g->session_mac, "%s: check %d within the session: %s %s [%s]", label,
          k + 3, err.code, err.message, err.reason);
    if (g != NULL) printf("%s check %d %s\n", label, k + 3, g->session_mac ? "mac" : "signed");
    lictor_grant_free(g);
  }
  rc = lictor_runtime_check(rt, product, "no-such-feature", &g, &err);
  CHECK(rc == LICTOR_ERR_REFUSED && strcmp(err.code, "LICTOR_E_FEATURE_NOT_LICENSED") == 0,
        "%s: an unlicensed feature is refused by the runtime: %s %s", label, err.code, err.message);
  printf("%s refused no-such-feature %s\n", label, err.code);

  lictor_session *s = NULL;
  rc = lictor_runtime_open_session(rt, product, feature, NULL, &s, &err);
  CHECK(rc == LICTOR_OK, "%s: session: %s %s [%s]", label, err.code, err.message, err.reason);
  if (s != NULL) {
    printf("%s session %s pid %lld os-session %s\n", label, s->id, s->pid, s->os_session);
    CHECK(s->session_mac, "%s: the session opened within the answer session", label);
    CHECK(lictor_runtime_close_session(rt, s->id, &err) == LICTOR_OK, "%s: close: %s", label, err.message);
    rc = lictor_runtime_close_session(rt, s->id, &err);
    CHECK(rc == LICTOR_ERR_REFUSED && strcmp(err.code, "LICTOR_E_SESSION_UNKNOWN") == 0, "%s: closed twice: %s",
          label, err.code);
  }
  lictor_session_free(s);

  if (seats) {
    lictor_seat *seat = NULL;
    rc = lictor_runtime_take_seat(rt, product, feature, NULL, 1, &seat, &err);
    CHECK(rc == LICTOR_OK, "%s: seat: %s %s [%s]", label, err.code, err.message, err.reason);
    if (seat != NULL) {
      printf("%s seat %s lease %s from %s\n", label, seat->id, seat->lease_id, seat->manager);
      CHECK(lictor_runtime_release_seat(rt, seat->id, &err) == LICTOR_OK, "%s: release: %s", label, err.message);
    }
    lictor_seat_free(seat);
  }
  lictor_runtime_close(rt);

  /* Signatures only: every answer signed. */
  CHECK(lictor_runtime_open(o, &rt, &err) == LICTOR_OK, "%s: open: %s", label, err.message);
  if (rt == NULL) return;
  CHECK(lictor_runtime_set_proof(rt, LICTOR_PROOF_SIGNATURE, &err) == LICTOR_OK, "%s: signatures only", label);
  for (int k = 0; k < 2; k++) {
    rc = lictor_runtime_check(rt, product, feature, &g, &err);
    CHECK(rc == LICTOR_OK && g != NULL && !g->session_mac, "%s: signed check %d: %s %s [%s]", label, k + 1, err.code,
          err.message, err.reason);
    lictor_grant_free(g);
  }
  printf("%s signatures-only checks signed\n", label);
  lictor_runtime_close(rt);
}

int main(void) {
  const char *key = getenv("LICTOR_TEST_PUBLIC_KEY"), *product = getenv("LICTOR_TEST_PRODUCT");
  const char *feature = getenv("LICTOR_TEST_FEATURE");
  const char *socket_path = getenv("LICTOR_TEST_RUNTIME_SOCKET"), *url = getenv("LICTOR_TEST_RUNTIME_URL");
  const char *seats = getenv("LICTOR_TEST_SEATS");
  if (key == NULL || product == NULL || feature == NULL || (socket_path == NULL && url == NULL)) {
    fprintf(stderr, "test_integration: skipped (no LICTOR_TEST_* variables: run by client-c.slow.test.ts)\n");
    return 77;
  }
  lictor_runtime_options o = {0};
  o.public_key = key;
  if (socket_path != NULL) {
    o.socket_path = socket_path;
    sequence("socket", &o, product, feature, seats != NULL && strcmp(seats, "1") == 0);
  }
  if (url != NULL) {
    o.socket_path = NULL;
    o.url = url;
    sequence("http", &o, product, feature, seats != NULL && strcmp(seats, "1") == 0);
  }
  return test_report("test_integration");
}
