package org.lictor.runtime;

/**
 * A session of this process on a license file, opened by {@link LictorRuntime#openSession}; close
 * it (try-with-resources) when the application stops using the license. The runtime also frees
 * it when the process exits.
 */
public final class Session implements AutoCloseable {
  private final LictorRuntime runtime;
  private final String id;
  private final String product;
  private final String feature;
  private final String serial;
  private final String licenseId;
  private final String licenseFile;
  private final long pid;
  private final String osSession;
  private final String openedAt;
  private final LicenseDocument license;
  private boolean closed;

  Session(LictorRuntime runtime, java.util.Map<String, Object> a, LicenseDocument license) {
    this.runtime = runtime;
    this.id = LictorRuntime.text(a, "id");
    this.product = LictorRuntime.text(a, "product");
    this.feature = LictorRuntime.textOrNull(a, "feature");
    this.serial = LictorRuntime.text(a, "serial");
    this.licenseId = LictorRuntime.text(a, "licenseId");
    this.licenseFile = LictorRuntime.text(a, "licenseFile");
    this.pid = LictorRuntime.integer(a, "pid");
    this.osSession = LictorRuntime.text(a, "osSession");
    this.openedAt = LictorRuntime.text(a, "openedAt");
    this.license = license;
  }

  public String id() {
    return id;
  }

  public String product() {
    return product;
  }

  /** The feature asked for, or {@code null}. */
  public String feature() {
    return feature;
  }

  public String serial() {
    return serial;
  }

  public String licenseId() {
    return licenseId;
  }

  /** The license file the session counts against. */
  public String licenseFile() {
    return licenseFile;
  }

  public long pid() {
    return pid;
  }

  /** The OS session the runtime counts the process in. */
  public String osSession() {
    return osSession;
  }

  public String openedAt() {
    return openedAt;
  }

  /** The license sent as proof, opened with the vendor key. */
  public LicenseDocument license() {
    return license;
  }

  /** Closes the session ({@code DELETE /v1/sessions/{id}}); closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (closed) return;
    runtime.closeSession(id);
    closed = true;
  }

  @Override
  public String toString() {
    return "Session[" + id + ", " + product + (feature == null ? "" : "/" + feature) + ", " + serial + "]";
  }
}
