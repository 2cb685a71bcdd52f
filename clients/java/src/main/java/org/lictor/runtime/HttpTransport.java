package org.lictor.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loopback HTTP with {@code java.net.http} (HTTP/1.1, no proxy, never an Origin header). The
 * event stream goes over a {@link SocketTransport} to the same address instead, so that closing it
 * from another thread ends a blocked read.
 */
final class HttpTransport implements Transport {
  private final URI base;
  private final Duration timeout;
  private final HttpClient client;
  private final SocketTransport streams;

  HttpTransport(String url, Duration timeout) {
    String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    URI uri;
    try {
      uri = URI.create(u);
    } catch (IllegalArgumentException e) {
      throw new LictorException("LICTOR_E_INVALID_INPUT", "'" + url + "' is not a URL");
    }
    if (!"http".equals(uri.getScheme()) || uri.getHost() == null || !isLoopback(uri.getHost())) {
      throw new LictorException(
          "LICTOR_E_NOT_LOCAL", "the runtime's URL must be http:// on loopback (127.0.0.1, [::1], localhost), not " + url);
    }
    this.base = uri;
    this.timeout = timeout;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(timeout)
            .build();
    this.streams = SocketTransport.tcp(uri, timeout);
  }

  /** Loopback names only: answers are trusted by their signatures, but requests stay on this computer. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost")) return true;
    if (h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
      for (String part : h.split("\\.")) if (Integer.parseInt(part) > 255) return false;
      return true;
    }
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (!h.contains(":") || !h.matches("[0-9a-f:.]+")) return false;
    try {
      return InetAddress.getByName(h).isLoopbackAddress(); // an IPv6 literal: parsed, never looked up
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public Response send(String method, String path, String body, Map<String, String> headers, boolean stream)
      throws IOException {
    if (stream) return streams.send(method, path, body, headers, true);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    b.timeout(timeout);
    for (Map.Entry<String, String> h : headers.entrySet()) b.header(h.getKey(), h.getValue());
    if (body != null) {
      b.header("content-type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<InputStream> res;
    try {
      res = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> h : res.headers().map().entrySet()) {
      if (!h.getValue().isEmpty()) out.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue().get(0));
    }
    return new Response(res.statusCode(), out, res.body(), null);
  }

  @Override
  public String describe() {
    return base.toString();
  }
}
