package org.lictor.runtime;

/**
 * A floating seat the runtime holds for this process from a License Manager, taken by {@link
 * LictorRuntime#takeSeat}; the runtime keeps it alive with heartbeats. Release it
 * (try-with-resources) when done; the runtime also gives it back when the process exits.
 */
public final class Seat implements AutoCloseable {
  private final LictorRuntime runtime;
  private final String id;
  private final String leaseId;
  private final String product;
  private final String feature;
  private final String manager;
  private final String state;
  private final String expiresAt;
  private final LicenseDocument license;
  private boolean released;

  Seat(LictorRuntime runtime, java.util.Map<String, Object> a, LicenseDocument license) {
    this.runtime = runtime;
    this.id = LictorRuntime.text(a, "id");
    this.leaseId = LictorRuntime.text(a, "leaseId");
    this.product = LictorRuntime.text(a, "product");
    this.feature = LictorRuntime.textOrNull(a, "feature");
    this.manager = LictorRuntime.text(a, "manager");
    this.state = LictorRuntime.text(a, "state");
    this.expiresAt = LictorRuntime.text(a, "expiresAt");
    this.license = license;
  }

  /** The runtime's id of the seat (stable while the lease id may change). */
  public String id() {
    return id;
  }

  /** The License Manager's lease, as it signed it. */
  public String leaseId() {
    return leaseId;
  }

  public String product() {
    return product;
  }

  public String feature() {
    return feature;
  }

  /** The License Manager holding the lease. */
  public String manager() {
    return manager;
  }

  /** {@code active} when taken. */
  public String state() {
    return state;
  }

  public String expiresAt() {
    return expiresAt;
  }

  /** The manager's license sent as proof, opened with the vendor key. */
  public LicenseDocument license() {
    return license;
  }

  /** Gives the seat back ({@code DELETE /v1/seats/{id}}); releasing twice does nothing. */
  @Override
  public synchronized void close() {
    if (released) return;
    runtime.releaseSeat(id);
    released = true;
  }

  @Override
  public String toString() {
    return "Seat[" + id + ", lease " + leaseId + ", " + product + (feature == null ? "" : "/" + feature) + "]";
  }
}
