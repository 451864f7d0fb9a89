/**
 * Preloaded (`node --import`) into an aiprov process by a test: the process kills itself with
 * SIGKILL the moment it is about to rename a finished temporary file onto a name ending in
 * $AIPROV_TEST_KILL_BEFORE_RENAME. That is a `sign` killed at the worst moment (temporary file
 * complete, target not yet replaced), reached deterministically rather than by a timed signal.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const suffix = process.env['AIPROV_TEST_KILL_BEFORE_RENAME'];
const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  if (suffix !== undefined && String(to).endsWith(suffix)) process.kill(process.pid, 'SIGKILL');
  return rename(from, to);
};
syncBuiltinESMExports();
