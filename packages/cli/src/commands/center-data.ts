/** Opening the License Center's data directory for one command. */
import type { Center, CenterOptions } from '@lictor/center';
import { Option } from 'commander';
import { loadCenter } from '../deployables.js';
import type { Io } from '../io.js';
import { centerDataDir } from '../options.js';

/** The `--data` option every `lictor center` command takes. */
export const dataOption = () => new Option('--data <dir>', 'data directory (default: LICTOR_HOME, else per-user)');

/** Opens the center, runs `run`, and closes the center whatever happens. */
export async function withCenter<T>(
  data: string | undefined,
  io: Io,
  run: (center: Center) => Promise<T>,
  options: CenterOptions = {},
): Promise<T> {
  const { openCenter } = await loadCenter();
  const center = await openCenter(centerDataDir(data, io.env), options);
  try {
    return await run(center);
  } finally {
    await center.close();
  }
}
