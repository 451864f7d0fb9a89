/**
 * Preloaded (`node --import`) into an aiprov process by a test: the first time the process opens a
 * path ending in $AIPROV_TEST_SWAP_SUFFIX, that file is first swapped for $AIPROV_TEST_SWAP_WITH,
 * as a symbolic link to it ($AIPROV_TEST_SWAP_HOW=symlink) or renamed over it (rename). That is
 * an attacker winning the race between the walk's listing and the hasher's open, reached
 * deterministically rather than by timing. Both ways of opening are patched: small files are
 * opened with `openSync`, large ones with `fs.promises.open`.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const suffix = process.env['AIPROV_TEST_SWAP_SUFFIX'];
const replacement = process.env['AIPROV_TEST_SWAP_WITH'];
const how = process.env['AIPROV_TEST_SWAP_HOW'];
let swapped = false;

function swapIfListed(path) {
  if (swapped || suffix === undefined || replacement === undefined) return;
  const name = Buffer.isBuffer(path) ? path.toString('utf8') : String(path);
  if (!name.endsWith(suffix)) return;
  swapped = true;
  if (how === 'symlink') {
    fs.rmSync(name);
    fs.symlinkSync(replacement, name);
  } else {
    fs.renameSync(replacement, name);
  }
}

const openSync = fs.openSync;
fs.openSync = (path, ...rest) => {
  swapIfListed(path);
  return openSync(path, ...rest);
};
const open = fs.promises.open;
fs.promises.open = async (path, ...rest) => {
  swapIfListed(path);
  return open(path, ...rest);
};
syncBuiltinESMExports();
