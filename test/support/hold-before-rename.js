/**
 * Preloaded (`node --import`, here through NODE_OPTIONS) into an aiprov process by a test: the
 * moment the process is about to rename a finished temporary file onto a name ending in
 * $AIPROV_TEST_HOLD_BEFORE_RENAME, it writes its pid to `held` in $AIPROV_TEST_HOLD_DIR and waits
 * until a file `release` appears there, then renames. That is a `sign` caught one step before it
 * writes its signature, for as long as the test needs, reached deterministically rather than by a
 * timed signal.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const suffix = process.env['AIPROV_TEST_HOLD_BEFORE_RENAME'];
const dir = process.env['AIPROV_TEST_HOLD_DIR'] ?? '';
const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  if (suffix !== undefined && String(to).endsWith(suffix)) {
    fs.writeFileSync(join(dir, 'held'), String(process.pid));
    while (!fs.existsSync(join(dir, 'release'))) await sleep(20);
  }
  return rename(from, to);
};
syncBuiltinESMExports();
