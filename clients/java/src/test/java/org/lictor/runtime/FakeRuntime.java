package org.lictor.runtime;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A tiny runtime of the tests: answers whatever {@link Handler} says, over loopback HTTP (the
 * JDK's {@code com.sun.net.httpserver}) and over a Unix socket (a minimal HTTP/1.1 server of its
 * own, which can answer chunked). Records every request.
 */
final class FakeRuntime implements AutoCloseable {
  /** A request as received. */
  record Request(String method, String path, Map<String, String> headers, String body) {
    @SuppressWarnings("unchecked")
    Map<String, Object> json() {
      return (Map<String, Object>) Json.parse(body);
    }
  }

  /**
   * An answer: status, content type and body (text), sent with Content-Length or chunked; with
   * {@code hold}, a chunked answer stays open after its body until the latch opens (a stream).
   */
  record Answer(int status, String contentType, String body, boolean chunked, CountDownLatch hold) {
    Answer(int status, String contentType, String body, boolean chunked) {
      this(status, contentType, body, chunked, null);
    }

    static Answer json(int status, Object value) {
      return new Answer(status, "application/json; charset=utf-8", value == null ? "" : Json.write(value), false);
    }
  }

  interface Handler {
    Answer handle(Request request) throws Exception;
  }

  final List<Request> requests = new CopyOnWriteArrayList<>();
  private final HttpServer http;
  private final ServerSocketChannel unix;
  private final Path socketDir;
  final Path socket;
  final String url;
  private volatile Handler handler;
  private final Thread unixThread;

  FakeRuntime(Handler handler) throws IOException {
    this.handler = handler;
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/",
        exchange -> {
          Map<String, String> headers = new TreeMap<>();
          exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
          String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body);
          requests.add(request);
          Answer answer = answer(request);
          byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
          if (answer.contentType() != null) exchange.getResponseHeaders().add("content-type", answer.contentType());
          exchange.sendResponseHeaders(answer.status(), answer.status() == 204 ? -1 : answer.chunked() ? 0 : bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            if (answer.status() != 204) out.write(bytes);
            out.flush();
            hold(answer);
          }
        });
    http.start();
    url = "http://127.0.0.1:" + http.getAddress().getPort();

    socketDir = Files.createTempDirectory("lictor-java-fake-");
    socket = socketDir.resolve("runtime.sock");
    unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    unix.bind(UnixDomainSocketAddress.of(socket));
    unixThread = new Thread(this::serveUnix, "fake-runtime-unix");
    unixThread.setDaemon(true);
    unixThread.start();
  }

  void handler(Handler handler) {
    this.handler = handler;
  }

  private Answer answer(Request request) {
    try {
      return handler.handle(request);
    } catch (Exception e) {
      return Answer.json(500, Map.of("code", "LICTOR_E_INTERNAL", "message", String.valueOf(e)));
    }
  }

  private void serveUnix() {
    while (unix.isOpen()) {
      try (SocketChannel c = unix.accept()) {
        InputStream in = Channels.newInputStream(c);
        String first = SocketTransport.line(in);
        String[] parts = first.split(" ");
        Map<String, String> headers = new TreeMap<>();
        String line;
        while (!(line = SocketTransport.line(in)).isEmpty()) {
          int colon = line.indexOf(':');
          headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        Request request = new Request(parts[0], parts[1], headers, new String(body, StandardCharsets.UTF_8));
        requests.add(request);
        Answer answer = answer(request);
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder head = new StringBuilder("HTTP/1.1 " + answer.status() + " X\r\n");
        if (answer.contentType() != null) head.append("Content-Type: ").append(answer.contentType()).append("\r\n");
        if (answer.status() == 204) {
          head.append("\r\n");
          out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        } else if (answer.chunked()) {
          head.append("Transfer-Encoding: chunked\r\n\r\n");
          out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
          // Chunks of at most 7 bytes, to exercise the decoder.
          for (int i = 0; i < bytes.length; i += 7) {
            int n = Math.min(7, bytes.length - i);
            out.write((Integer.toHexString(n) + ";ext=1\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes, i, n);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
          }
          if (answer.hold() != null) {
            ByteBuffer buffer = ByteBuffer.wrap(out.toByteArray());
            while (buffer.hasRemaining()) c.write(buffer);
            out.reset();
            hold(answer);
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        } else {
          head.append("Content-Length: ").append(bytes.length).append("\r\n\r\n");
          out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
          out.write(bytes);
        }
        ByteBuffer buffer = ByteBuffer.wrap(out.toByteArray());
        while (buffer.hasRemaining()) c.write(buffer);
      } catch (IOException e) {
        if (!unix.isOpen()) return;
      }
    }
  }

  private static void hold(Answer answer) {
    if (answer.hold() == null) return;
    try {
      answer.hold().await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last request received. */
  Request last() {
    return requests.get(requests.size() - 1);
  }

  @Override
  public void close() throws IOException {
    http.stop(0);
    unix.close();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(socketDir);
  }
}
