package org.lictor.runtime;

import java.util.Map;

/**
 * One server-sent event of {@code GET /v1/events}: {@code license-change}, {@code session-freed},
 * {@code seat-lost}, {@code seat-reattached} or {@code reset} (events were missed: read the state
 * again). Events are not signed: they tell an application to ask again, and what it then asks is.
 *
 * @param id the event id ({@code <run>-<sequence>}), to resume from with {@link
 *     LictorRuntime#events(String, String)}
 * @param kind the kind (the {@code event:} field)
 * @param data the event's JSON ({@code kind}, {@code at}, and the kind's fields)
 */
public record RuntimeEvent(String id, String kind, Map<String, Object> data) {
  /** A text field of {@link #data}, or {@code null}. */
  public String field(String name) {
    Object v = data.get(name);
    return v instanceof String ? (String) v : null;
  }
}
