import { type BoardAddress, parseBoardAddress } from '../board/board-address';
import { WorkerSettingError } from './worker-host';

/**
 * `GANTRY_BOARD`: where the worker serves the release board (`127.0.0.1:8090`, `8090`,
 * `0.0.0.0:8090` in a container whose port is published); unset or empty, it serves none.
 * `GANTRY_UI_URL` gives the board its links into the Temporal UI.
 */
export function boardAddressFromEnv(env: NodeJS.ProcessEnv = process.env): BoardAddress | undefined {
  const text = env.GANTRY_BOARD?.trim();
  if (!text) return undefined;
  try {
    return parseBoardAddress(text, 'GANTRY_BOARD');
  } catch (err) {
    throw new WorkerSettingError((err as Error).message);
  }
}
