package org.lictor.runtime;

/**
 * A granted check, as the runtime signed it: what license grants the product (or feature), and
 * the verified license that proves it.
 *
 * @param product the product asked for
 * @param feature the feature asked for, or {@code null} for the product alone
 * @param serial the package's serial number
 * @param licenseId {@code <activation id>:<product>}
 * @param type {@code single}, {@code multi}, {@code server} or {@code server-sessions}
 * @param users users granted for the feature, {@code null}: not counted
 * @param expiresAt ISO instant, or {@code null}: perpetual
 * @param file the license file that grants it
 * @param license the license sent as proof, opened with the vendor key
 */
public record Grant(
    String product,
    String feature,
    String serial,
    String licenseId,
    String type,
    Long users,
    String expiresAt,
    String file,
    LicenseDocument license) {}
