package org.lictor.runtime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A minimal HTTP/1.1 client over a {@code SocketChannel}: the runtime's Unix domain socket ({@code
 * UnixDomainSocketAddress}, JDK 16+), and the event stream over loopback TCP (a channel that any
 * thread can close, which ends a blocked read). One connection per request ({@code Connection:
 * close}); answers with {@code Content-Length}, chunked, or read to the end.
 */
final class SocketTransport implements Transport {
  /** Longest status line or header line accepted. */
  private static final int MAX_LINE = 16 * 1024;

  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "lictor-runtime-timeout");
            t.setDaemon(true);
            return t;
          });

  private final SocketAddress address;
  private final String host;
  private final String description;
  private final Duration timeout;

  private SocketTransport(SocketAddress address, String host, String description, Duration timeout) {
    this.address = address;
    this.host = host;
    this.description = description;
    this.timeout = timeout;
  }

  /** Over the Unix socket at {@code path} (any Host is fine there: browsers cannot reach it). */
  static SocketTransport unix(Path path, Duration timeout) {
    return new SocketTransport(UnixDomainSocketAddress.of(path), "localhost", "unix:" + path, timeout);
  }

  /** Over loopback TCP to {@code base} ({@code http://host:port}); Host names it, as the runtime requires. */
  static SocketTransport tcp(URI base, Duration timeout) {
    int port = base.getPort() < 0 ? 80 : base.getPort();
    String host = base.getHost();
    String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    return new SocketTransport(new InetSocketAddress(literal, port), host + ":" + port, base.toString(), timeout);
  }

  @Override
  public Response send(String method, String target, String body, Map<String, String> headers, boolean stream)
      throws IOException {
    SocketChannel channel = SocketChannel.open(address);
    // A blocking channel has no read timeout: closing it from a timer ends a read that waits too long.
    ScheduledFuture<?> deadline =
        TIMER.schedule(
            () -> {
              try {
                channel.close();
              } catch (IOException ignored) {
                // closing is all this does
              }
            },
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(host).append("\r\n");
      head.append("Connection: close\r\n");
      for (Map.Entry<String, String> h : headers.entrySet()) {
        head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      if (body != null) {
        head.append("Content-Type: application/json\r\n");
        head.append("Content-Length: ").append(payload.length).append("\r\n");
      }
      head.append("\r\n");
      ByteBuffer out = ByteBuffer.wrap(Bytes.concat(head.toString().getBytes(StandardCharsets.UTF_8), payload));
      while (out.hasRemaining()) channel.write(out);

      InputStream in = new BufferedInputStream(Channels.newInputStream(channel));
      String status = line(in);
      String[] parts = status.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP answer: " + status);
      int code;
      try {
        code = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IOException("not an HTTP answer: " + status);
      }
      Map<String, String> answerHeaders = new LinkedHashMap<>();
      for (int n = 0; ; n++) {
        String h = line(in);
        if (h.isEmpty()) break;
        if (n > 100) throw new IOException("too many header lines");
        int colon = h.indexOf(':');
        if (colon <= 0) throw new IOException("malformed header line");
        answerHeaders.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      InputStream content;
      String te = answerHeaders.getOrDefault("transfer-encoding", "");
      String length = answerHeaders.get("content-length");
      if (method.equals("HEAD") || code == 204 || code == 304 || (code >= 100 && code < 200)) {
        content = InputStream.nullInputStream();
      } else if (te.toLowerCase(Locale.ROOT).contains("chunked")) {
        content = new ChunkedInputStream(in);
      } else if (length != null) {
        long n;
        try {
          n = Long.parseLong(length);
        } catch (NumberFormatException e) {
          throw new IOException("malformed Content-Length");
        }
        content = new BoundedInputStream(in, n);
      } else {
        content = in;
      }
      if (stream) deadline.cancel(false);
      return new Response(
          code,
          answerHeaders,
          content,
          () -> {
            deadline.cancel(false);
            channel.close();
          });
    } catch (IOException | RuntimeException e) {
      deadline.cancel(false);
      channel.close();
      throw e;
    }
  }

  @Override
  public String describe() {
    return description;
  }

  /** One CRLF- (or LF-) terminated line, ISO-8859-1. */
  static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) throw new EOFException("the connection closed in the middle of an answer");
      if (c == '\n') break;
      if (b.size() >= MAX_LINE) throw new IOException("line too long");
      b.write(c);
    }
    byte[] bytes = b.toByteArray();
    int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
    return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
  }

  /** {@code length} bytes of {@code in}. */
  static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long left;

    BoundedInputStream(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) return -1;
      int c = in.read();
      if (c < 0) throw new EOFException("the answer ended early");
      left--;
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) return -1;
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) throw new EOFException("the answer ended early");
      left -= n;
      return n;
    }
  }

  /** The body of a chunked answer (RFC 9112 §7.1), decoded as it is read. */
  static final class ChunkedInputStream extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    ChunkedInputStream(InputStream in) {
      this.in = in;
    }

    private boolean next() throws IOException {
      if (done) return false;
      if (left > 0) return true;
      String size = line(in);
      int semi = size.indexOf(';');
      if (semi >= 0) size = size.substring(0, semi);
      try {
        left = Long.parseLong(size.trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("malformed chunk size");
      }
      if (left < 0) throw new IOException("malformed chunk size");
      if (left == 0) {
        while (!line(in).isEmpty()) {
          // trailers are ignored
        }
        done = true;
        return false;
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) return 0;
      if (!next()) return -1;
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) throw new EOFException("the answer ended in the middle of a chunk");
      left -= n;
      if (left == 0 && !line(in).isEmpty()) throw new IOException("malformed chunk end");
      return n;
    }
  }
}
