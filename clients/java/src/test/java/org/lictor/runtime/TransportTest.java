package org.lictor.runtime;

import static org.lictor.runtime.Assert.check;
import static org.lictor.runtime.Assert.equal;
import static org.lictor.runtime.Assert.refused;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The transports: where the client connects, HTTP/1.1 over the Unix socket, events, timeouts. */
final class TransportTest {
  static final String SSE =
      ": Lictor Runtime events\n\n"
          + "id: r1-7\nevent: reset\ndata: {\"kind\":\"reset\",\"at\":\"2026-03-01T00:00:00.000Z\"}\n\n"
          + ": keep-alive\n\n"
          + "id: r1-8\nevent: license-change\n"
          + "data: {\"kind\":\"license-change\",\"at\":\"2026-03-01T00:00:01.000Z\",\"product\":\"ERP\",\n"
          + "data: \"added\":[\"/x/LX-1.lic\"],\"removed\":[],\"changed\":[]}\n\n";

  static FakeRuntime.Answer events(FakeRuntime.Request r) {
    if (r.path().startsWith("/v1/events")) return new FakeRuntime.Answer(200, "text/event-stream; charset=utf-8", SSE, true);
    if (r.path().equals("/v1/status")) {
      return new FakeRuntime.Answer(200, "application/json", Json.write(Map.of("runtime", Map.of("id", "r1"))), true);
    }
    return FakeRuntimeTest.notFound();
  }

  @Test
  static void statusAndEventsOverBothTransports() throws Exception {
    try (FakeRuntime fake = new FakeRuntime(TransportTest::events)) {
      for (LictorRuntime rt : List.of(FakeRuntimeTest.client(fake), FakeRuntimeTest.socketClient(fake))) {
        equal(rt.status().get("runtime"), Map.of("id", "r1"), "status (chunked)");
        try (EventStream events = rt.events("ERP", "r0-3")) {
          RuntimeEvent reset = events.next();
          equal(reset.kind(), "reset", "first event");
          equal(reset.id(), "r1-7", "its id");
          RuntimeEvent change = events.next();
          equal(change.kind(), "license-change", "second event");
          equal(change.field("product"), "ERP", "its product");
          equal(change.data().get("added"), List.of("/x/LX-1.lic"), "data over two lines");
          equal(events.lastEventId(), "r1-8", "last id");
          equal(events.next(), null, "the end of the stream");
        }
        FakeRuntime.Request asked = fake.last();
        equal(asked.path(), "/v1/events?product=ERP", "product filter");
        equal(asked.headers().get("last-event-id"), "r0-3", "resumes after the id given");
        check(!asked.headers().containsKey("origin"), "no Origin");
      }
    }
  }

  @Test
  static void anEventStreamClosedFromAnotherThreadEndsItsRead() throws Exception {
    java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
    String first = "id: r1-1\nevent: seat-lost\ndata: {\"kind\":\"seat-lost\",\"at\":\"2026-03-01T00:00:00.000Z\"}\n\n";
    try (FakeRuntime fake =
        new FakeRuntime(r -> new FakeRuntime.Answer(200, "text/event-stream", first, true, end))) {
      try {
        for (LictorRuntime rt : List.of(FakeRuntimeTest.client(fake), FakeRuntimeTest.socketClient(fake))) {
          EventStream events = rt.events();
          equal(events.next().kind(), "seat-lost", "the first event");
          java.util.concurrent.CompletableFuture<Object> blocked =
              java.util.concurrent.CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return events.next();
                    } catch (java.io.IOException e) {
                      return e;
                    }
                  });
          Thread.yield();
          check(!blocked.isDone(), "waiting for the next event");
          events.close();
          Object ended = blocked.get(5, java.util.concurrent.TimeUnit.SECONDS);
          check(ended == null || ended instanceof java.io.IOException, "the read ended: " + ended);
        }
      } finally {
        end.countDown();
      }
    }
  }

  @Test
  static void whereItConnects() throws Exception {
    try (FakeRuntime fake = new FakeRuntime(TransportTest::events)) {
      String key = FakeRuntimeTest.VENDOR.vendorKey().text();
      LictorRuntime bySocket =
          LictorRuntime.builder()
              .vendorKey(key)
              .env(Map.of("LICTOR_RUNTIME_SOCKET", fake.socket.toString(), "LICTOR_RUNTIME_URL", "http://127.0.0.1:1"))
              .build();
      equal(bySocket.endpoint(), "unix:" + fake.socket, "LICTOR_RUNTIME_SOCKET first");
      equal(bySocket.status().get("runtime"), Map.of("id", "r1"), "over it");
      LictorRuntime byUrl = LictorRuntime.builder().vendorKey(key).env(Map.of("LICTOR_RUNTIME_URL", fake.url)).build();
      equal(byUrl.endpoint(), fake.url, "LICTOR_RUNTIME_URL");
      equal(byUrl.status().get("runtime"), Map.of("id", "r1"), "over it");
      // The default socket under XDG_RUNTIME_DIR when it exists, else loopback HTTP.
      Path xdg = Files.createTempDirectory("lictor-java-xdg-");
      try {
        LictorRuntime none = LictorRuntime.builder().vendorKey(key).env(Map.of("XDG_RUNTIME_DIR", xdg.toString())).build();
        equal(none.endpoint(), LictorRuntime.DEFAULT_URL, "no socket: the default port");
        Files.createDirectories(xdg.resolve("lictor"));
        Files.createSymbolicLink(xdg.resolve("lictor").resolve("runtime.sock"), fake.socket);
        LictorRuntime def = LictorRuntime.builder().vendorKey(key).env(Map.of("XDG_RUNTIME_DIR", xdg.toString())).build();
        equal(def.endpoint(), "unix:" + xdg.resolve("lictor").resolve("runtime.sock"), "the default socket");
        equal(def.status().get("runtime"), Map.of("id", "r1"), "over it");
      } finally {
        Files.deleteIfExists(xdg.resolve("lictor").resolve("runtime.sock"));
        Files.deleteIfExists(xdg.resolve("lictor"));
        Files.deleteIfExists(xdg);
      }
      // An explicit choice wins over the environment.
      LictorRuntime explicit =
          LictorRuntime.builder().vendorKey(key).env(Map.of("LICTOR_RUNTIME_SOCKET", "/nowhere")).url(fake.url).build();
      equal(explicit.endpoint(), fake.url, "url() over the environment");
    }
  }

  @Test
  static void onlyLoopbackUrls() {
    String key = FakeRuntimeTest.VENDOR.vendorKey().text();
    for (String url : List.of("http://example.com:8791", "https://127.0.0.1:8791", "http://10.0.0.1", "http://[fe80::1]:1")) {
      refused("LICTOR_E_NOT_LOCAL", () -> LictorRuntime.builder().vendorKey(key).url(url).build(), url);
    }
    for (String url : List.of("http://localhost:8791", "http://127.0.0.2:1/", "http://[::1]:8791")) {
      equal(LictorRuntime.builder().vendorKey(key).url(url).build().vendorKey().text(), key, url);
    }
    refused("LICTOR_E_PUBLIC_KEY_INVALID", () -> LictorRuntime.builder().build(), "a vendor key is required");
    refused("LICTOR_E_PUBLIC_KEY_INVALID", () -> LictorRuntime.connect("lictor-ed25519:abc"), "a bad key");
  }

  @Test
  static void nothingAnsweringIsUnreachable() throws Exception {
    String key = FakeRuntimeTest.VENDOR.vendorKey().text();
    Path dir = Files.createTempDirectory("lictor-java-none-");
    try {
      LictorRuntime socket = LictorRuntime.builder().vendorKey(key).socket(dir.resolve("runtime.sock")).build();
      refused("LICTOR_E_RUNTIME_UNREACHABLE", socket::status, "no socket");
      refused("LICTOR_E_RUNTIME_UNREACHABLE", () -> socket.check("ERP"), "no socket (check)");
    } finally {
      Files.deleteIfExists(dir);
    }
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    LictorRuntime http = LictorRuntime.builder().vendorKey(key).url("http://127.0.0.1:" + port).build();
    refused("LICTOR_E_RUNTIME_UNREACHABLE", http::status, "a closed port");
  }

  @Test
  static void aRuntimeThatDoesNotAnswerTimesOut() throws Exception {
    // A runtime that hangs until the test ends.
    java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
    try (FakeRuntime fake =
        new FakeRuntime(
            r -> {
              end.await(10, java.util.concurrent.TimeUnit.SECONDS);
              return FakeRuntime.Answer.json(200, Map.of());
            })) {
      try {
        String key = FakeRuntimeTest.VENDOR.vendorKey().text();
        Duration timeout = Duration.ofMillis(200);
        for (LictorRuntime rt :
            List.of(
                LictorRuntime.builder().vendorKey(key).socket(fake.socket).timeout(timeout).build(),
                LictorRuntime.builder().vendorKey(key).url(fake.url).timeout(timeout).build())) {
          long start = System.nanoTime();
          refused("LICTOR_E_RUNTIME_UNREACHABLE", rt::status, rt.endpoint());
          long ms = (System.nanoTime() - start) / 1_000_000;
          check(ms < 5000, "gave up after the timeout: " + ms + " ms");
        }
      } finally {
        end.countDown(); // before the fake closes: its server waits for the handler
      }
    }
  }
}
