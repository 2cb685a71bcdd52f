/* A tiny HTTP/1.1 server on loopback TCP or a Unix socket that plays a runtime, for the tests. */
#ifndef LICTOR_FAKE_RUNTIME_H
#define LICTOR_FAKE_RUNTIME_H

#include "internal.h"

typedef struct fake_request {
  char method[16];
  char path[512];
  char *body; /* NUL-terminated */
  int has_origin;
  char content_type[128];
  char host[128];
  char session[512]; /* the header lictor-session, "" when absent */
} fake_request;

/** Answers one request: sets `*status` and writes the body (JSON) into `body`. */
typedef void (*fake_handler)(void *ctx, const fake_request *req, int *status, lictor_buf *body);

typedef struct fake_server fake_server;

/** Starts serving on 127.0.0.1 (any free port) or, with `unix_socket`, on a fresh socket path. */
fake_server *fake_start(int unix_socket, fake_handler handler, void *ctx);
/** "http://127.0.0.1:<port>", or NULL for a socket server. */
const char *fake_url(const fake_server *s);
/** The socket path, or NULL for a TCP server. */
const char *fake_socket(const fake_server *s);
/** How many requests it answered. */
int fake_requests(const fake_server *s);
void fake_stop(fake_server *s);

#endif
