import { ensureBuilt } from '../emulator/build.mjs';

/**
 * Builds the emulator from the current sources before any test runs. emulator/bin.mjs would
 * build a stale tree itself; doing it once here keeps parallel test files from all building it.
 */
export default async function setup(): Promise<void> {
  await ensureBuilt();
}
