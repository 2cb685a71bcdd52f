package org.lictor.runtime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal: a stable Lictor code ({@code LICTOR_E_…}, see docs/errors.md), a message for a
 * person, and optional details. The runtime's error answers ({@code { code, message, details }})
 * arrive as this exception unchanged; the client's own refusals use the same codes (an answer it
 * cannot trust is {@code LICTOR_E_ANSWER_UNPROVEN} with {@code details.reason}).
 */
public class LictorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final transient Map<String, Object> details;
  private final int status;

  public LictorException(String code, String message) {
    this(code, message, Map.of(), 0, null);
  }

  public LictorException(String code, String message, Map<String, Object> details) {
    this(code, message, details, 0, null);
  }

  LictorException(String code, String message, Map<String, Object> details, int status, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details == null ? Map.of() : details));
    this.status = status;
  }

  /** The Lictor code, {@code LICTOR_E_…}. */
  public String code() {
    return code;
  }

  /** The details the refusal carries (JSON values); empty when none. */
  public Map<String, Object> details() {
    return details;
  }

  /** {@code details.reason} as text, or {@code null} (the fault of {@code LICTOR_E_ANSWER_UNPROVEN}). */
  public String reason() {
    Object r = details.get("reason");
    return r instanceof String ? (String) r : null;
  }

  /** The HTTP status of the runtime's error answer, or 0 for a refusal made by this client. */
  public int status() {
    return status;
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }

  /** {@code LICTOR_E_ANSWER_UNPROVEN} with {@code details.reason}. */
  static LictorException unproven(String reason, String message) {
    return unproven(reason, message, Map.of());
  }

  static LictorException unproven(String reason, String message, Map<String, Object> more) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("reason", reason);
    details.putAll(more);
    return new LictorException("LICTOR_E_ANSWER_UNPROVEN", message, details);
  }
}
