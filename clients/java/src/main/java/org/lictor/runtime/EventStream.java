package org.lictor.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The runtime's event stream ({@code text/event-stream}), read one event at a time. {@link #next}
 * blocks until an event arrives; close the stream to stop (from another thread too).
 */
public final class EventStream implements AutoCloseable {
  private final Transport.Response response;
  private final BufferedReader reader;
  private String lastEventId;

  EventStream(Transport.Response response, String lastEventId) {
    this.response = response;
    this.reader = new BufferedReader(new InputStreamReader(response.body, StandardCharsets.UTF_8));
    this.lastEventId = lastEventId;
  }

  /** The id of the last event read (give it to {@link LictorRuntime#events(String, String)} to resume). */
  public String lastEventId() {
    return lastEventId;
  }

  /**
   * The next event; {@code null} when the runtime ended the stream. Comment lines (keep-alives)
   * are skipped; an event whose data is not a JSON object is skipped too.
   */
  @SuppressWarnings("unchecked")
  public RuntimeEvent next() throws IOException {
    String id = null;
    String kind = null;
    StringBuilder data = null;
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isEmpty()) {
        if (data == null) {
          id = null;
          kind = null;
          continue;
        }
        if (id != null) lastEventId = id;
        Object parsed;
        try {
          parsed = Json.parse(data.toString());
        } catch (Json.ParseException e) {
          parsed = null;
        }
        if (parsed instanceof Map) {
          Map<String, Object> map = (Map<String, Object>) parsed;
          String k = kind != null ? kind : map.get("kind") instanceof String ? (String) map.get("kind") : "message";
          return new RuntimeEvent(id != null ? id : lastEventId, k, map);
        }
        id = null;
        kind = null;
        data = null;
        continue;
      }
      if (line.startsWith(":")) continue;
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) value = value.substring(1);
      switch (field) {
        case "id":
          id = value;
          break;
        case "event":
          kind = value;
          break;
        case "data":
          if (data == null) data = new StringBuilder(value);
          else data.append('\n').append(value);
          break;
        default:
          break; // retry and unknown fields
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    response.close();
  }
}
