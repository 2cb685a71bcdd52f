/**
 * What binds a borrowed seat to this computer (`borrow.ts` in protocol): the machine tag of the
 * machine secret and the digest of the hardware that does not move when a laptop is taken away.
 * Computed the same way when borrowing (sent to the manager, which signs it into the seat) and
 * at every load (compared with the seat's).
 */
import { type BorrowComputer, borrowHardwareDigest, type HardwareParams, LictorError } from '@lictor/protocol';
import { machineTag } from '../machine-secret.js';

/** The computer as a borrowed seat names it. */
export function borrowComputerOf(machineSecret: Uint8Array, hardware: HardwareParams): BorrowComputer {
  return { machine: machineTag(machineSecret), hardware: borrowHardwareDigest(hardware) };
}

/** {@link borrowComputerOf} this computer; the refusal when its machine secret cannot be read. */
export async function borrowComputerHere(
  machineSecret: () => Promise<Uint8Array>,
  hardware: HardwareParams,
): Promise<BorrowComputer | LictorError> {
  try {
    return borrowComputerOf(await machineSecret(), hardware);
  } catch (err) {
    if (err instanceof LictorError) return err;
    return new LictorError(
      'LICTOR_E_FILE_UNREADABLE',
      `cannot read this computer's machine id: ${(err as Error).message}`,
    );
  }
}
