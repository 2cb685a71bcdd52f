package org.lictor.runtime;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ISO instants as license documents hold them (docs/spec/license-file.md, "Instants"): the
 * pattern {@code YYYY-MM-DDTHH:MM:SS(.s{1,3})?Z}, read as JavaScript's {@code Date.parse} reads
 * it: a day up to 31 in any month and the hour 24 (with zero minutes, seconds and fraction) roll
 * over; a month 0 or 13, a day 0 or 32, a minute or second 60 do not parse.
 */
final class Instants {
  private Instants() {}

  private static final Pattern ISO =
      Pattern.compile("^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,3}))?Z$");

  /** Epoch milliseconds, or {@code null} when the text is not such an instant. */
  static Long parse(String text) {
    Matcher m = ISO.matcher(text);
    if (!m.matches()) return null;
    long year = Long.parseLong(m.group(1));
    int month = Integer.parseInt(m.group(2));
    int day = Integer.parseInt(m.group(3));
    int hour = Integer.parseInt(m.group(4));
    int minute = Integer.parseInt(m.group(5));
    int second = Integer.parseInt(m.group(6));
    String fraction = m.group(7);
    int ms = fraction == null ? 0 : Integer.parseInt((fraction + "00").substring(0, 3));
    if (month < 1 || month > 12 || day < 1 || day > 31) return null;
    if (minute > 59 || second > 59) return null;
    if (hour > 24 || (hour == 24 && (minute != 0 || second != 0 || ms != 0))) return null;
    long days = daysFromCivil(year, month, 1) + (day - 1);
    return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + ms;
  }

  /** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
  private static long daysFromCivil(long y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    long era = Math.floorDiv(y, 400);
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
  }
}
