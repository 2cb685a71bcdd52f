/**
 * The hardware marks of an active activation (migration 0008, table `hardware_marks`): one text
 * per network adapter, per drive, and for the host name with the motherboard when both are known.
 * Two computers share a mark exactly when `sameComputer` says they are the same one changed, so
 * the center finds the activations a changed computer retires by index, whatever the package holds.
 */
import { type HardwareParams, normalizeHardware } from '@lictor/protocol';

/** The marks of `hardware` (normalized first), without repeats. */
export function hardwareMarks(hardware: HardwareParams): string[] {
  const h = normalizeHardware(hardware);
  const marks = [...h.nics.map((mac) => `nic:${mac}`), ...h.disks.map((disk) => `disk:${disk}`)];
  if (h.hostname !== '' && h.board !== '') marks.push(`host:${h.hostname}\n${h.board}`);
  return [...new Set(marks)];
}
