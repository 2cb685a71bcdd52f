/* Checks a feature, opens a session and takes a floating seat through the Lictor Runtime. */
#include <stdio.h>
#include <stdlib.h>
#include "lictor_runtime.h"

int main(void) {
  const char *product = getenv("LICTOR_PRODUCT"), *feature = getenv("LICTOR_FEATURE");
  lictor_runtime_options options = {.public_key = getenv("LICTOR_PUBLIC_KEY")}; /* the vendor key you embed */
  lictor_runtime *rt = NULL; lictor_grant *grant = NULL; lictor_session *session = NULL; lictor_seat *seat = NULL;
  lictor_error err;
  int failed = lictor_runtime_open(&options, &rt, &err) || lictor_runtime_check(rt, product, feature, &grant, &err) ||
               lictor_runtime_open_session(rt, product, feature, NULL, &session, &err) ||
               lictor_runtime_take_seat(rt, product, feature, NULL, 1, &seat, &err);
  if (failed) fprintf(stderr, "not licensed: %s: %s\n", err.code, err.message);
  else printf("%s %s licensed by %s; session %s; seat %s\n", product, feature, grant->serial, session->id, seat->lease_id);
  if (seat) lictor_runtime_release_seat(rt, seat->id, &err);
  if (session) lictor_runtime_close_session(rt, session->id, &err);
  lictor_seat_free(seat); lictor_session_free(session); lictor_grant_free(grant); lictor_runtime_close(rt);
  return failed;
}
