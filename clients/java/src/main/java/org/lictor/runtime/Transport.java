package org.lictor.runtime;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** How requests reach the runtime: its Unix socket or loopback HTTP. */
interface Transport {
  /**
   * Sends a request; {@code body} is JSON text or {@code null}. With {@code stream}, no timeout
   * applies to reading the answer (server-sent events). Connection failures are {@link IOException}.
   */
  Response send(String method, String path, String body, Map<String, String> headers, boolean stream)
      throws IOException;

  /** Where it sends ({@code unix:/path} or the URL), for messages. */
  String describe();

  /** An answer: status, headers (lower-case names) and a body to read once. */
  final class Response implements Closeable {
    final int status;
    final Map<String, String> headers;
    final InputStream body;
    private final Closeable onClose;

    Response(int status, Map<String, String> headers, InputStream body, Closeable onClose) {
      this.status = status;
      this.headers = headers;
      this.body = body;
      this.onClose = onClose;
    }

    /** The whole body as UTF-8 text, at most {@code max} bytes (more is an {@link IOException}). */
    String text(int max) throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = body.read(buffer)) > 0) {
        if (out.size() + n > max) throw new IOException("the answer is larger than " + max + " bytes");
        out.write(buffer, 0, n);
      }
      return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
      try {
        body.close();
      } finally {
        if (onClose != null) onClose.close();
      }
    }
  }

  /** The default time to wait for an answer. */
  Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
}
