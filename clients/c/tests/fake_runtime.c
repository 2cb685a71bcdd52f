#include "fake_runtime.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct fake_server {
  int fd;
  pthread_t thread;
  atomic_int stop;
  atomic_int requests;
  fake_handler handler;
  void *ctx;
  char url[64];
  char socket_path[108];
  char dir[64];
};

static void header_value(const char *headers, const char *name, char *out, size_t cap) {
  out[0] = '\0';
  size_t n = strlen(name);
  for (const char *line = headers; line != NULL && *line != '\0';) {
    const char *end = strstr(line, "\r\n");
    if (end == NULL) break;
    if ((size_t)(end - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1;
      while (*v == ' ') v++;
      size_t len = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
      memcpy(out, v, len);
      out[len] = '\0';
      return;
    }
    line = end + 2;
  }
}

static void serve_one(fake_server *s, int conn) {
  lictor_buf in = {0};
  char chunk[4096];
  char *header_end = NULL;
  while (header_end == NULL) {
    ssize_t n = read(conn, chunk, sizeof chunk);
    if (n <= 0) goto done;
    lictor_buf_put(&in, chunk, (size_t)n);
    lictor_buf_finish(&in);
    header_end = strstr(in.data, "\r\n\r\n");
  }
  size_t head_len = (size_t)(header_end - in.data) + 4;
  char length[32];
  header_value(strstr(in.data, "\r\n") + 2, "content-length", length, sizeof length);
  size_t body_len = (size_t)atol(length);
  while (in.len < head_len + body_len) {
    ssize_t n = read(conn, chunk, sizeof chunk);
    if (n <= 0) goto done;
    lictor_buf_put(&in, chunk, (size_t)n);
  }
  lictor_buf_finish(&in);
  fake_request req;
  memset(&req, 0, sizeof req);
  sscanf(in.data, "%15s %511s", req.method, req.path);
  const char *headers = strstr(in.data, "\r\n") + 2;
  for (const char *line = headers; line < header_end; line = strstr(line, "\r\n") + 2) {
    if (strncasecmp(line, "origin:", 7) == 0) req.has_origin = 1;
  }
  header_value(headers, "content-type", req.content_type, sizeof req.content_type);
  header_value(headers, "host", req.host, sizeof req.host);
  header_value(headers, "lictor-session", req.session, sizeof req.session);
  req.body = lictor_strndup(in.data + head_len, body_len);
  int status = 500;
  lictor_buf body = {0};
  s->handler(s->ctx, &req, &status, &body);
  free(req.body);
  char head[256];
  int hn = snprintf(head, sizeof head,
                    "HTTP/1.1 %d X\r\ncontent-type: application/json\r\ncontent-length: %zu\r\nconnection: close\r\n\r\n",
                    status, body.len);
  if (write(conn, head, (size_t)hn) < 0 || (body.len > 0 && write(conn, body.data, body.len) < 0)) {
    /* the client went away */
  }
  lictor_buf_free(&body);
  atomic_fetch_add(&s->requests, 1);
done:
  lictor_buf_free(&in);
  close(conn);
}

static void *loop(void *arg) {
  fake_server *s = arg;
  while (!atomic_load(&s->stop)) {
    struct pollfd p = {s->fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int conn = accept(s->fd, NULL, NULL);
    if (conn >= 0) serve_one(s, conn);
  }
  return NULL;
}

fake_server *fake_start(int unix_socket, fake_handler handler, void *ctx) {
  fake_server *s = calloc(1, sizeof *s);
  s->handler = handler;
  s->ctx = ctx;
  if (unix_socket) {
    snprintf(s->dir, sizeof s->dir, "/tmp/lictor-c-test-XXXXXX");
    if (mkdtemp(s->dir) == NULL) abort();
    snprintf(s->socket_path, sizeof s->socket_path, "%s/runtime.sock", s->dir);
    s->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, s->socket_path);
    if (bind(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0) abort();
  } else {
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0) abort();
    socklen_t len = sizeof addr;
    getsockname(s->fd, (struct sockaddr *)&addr, &len);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", ntohs(addr.sin_port));
  }
  if (listen(s->fd, 16) != 0) abort();
  pthread_create(&s->thread, NULL, loop, s);
  return s;
}

const char *fake_url(const fake_server *s) { return s->url[0] != '\0' ? s->url : NULL; }
const char *fake_socket(const fake_server *s) { return s->socket_path[0] != '\0' ? s->socket_path : NULL; }
int fake_requests(const fake_server *s) { return atomic_load(&((fake_server *)s)->requests); }

void fake_stop(fake_server *s) {
  if (s == NULL) return;
  atomic_store(&s->stop, 1);
  pthread_join(s->thread, NULL);
  close(s->fd);
  if (s->socket_path[0] != '\0') {
    unlink(s->socket_path);
    rmdir(s->dir);
  }
  free(s);
}
