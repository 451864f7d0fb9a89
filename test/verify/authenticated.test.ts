import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSerialization } from '../../src/manifest/compute.js';
import type { Serialization } from '../../src/manifest/manifest.js';
import { defaultSerialization, withVerifierChoices } from '../../src/verify/authenticated.js';
import { rehashRootDigest } from '../../src/verify/rehash.js';

describe('AuthenticatedSerialization: what a verification may hash with', () => {
  let model: string;

  beforeAll(async () => {
    model = await mkdtemp(join(tmpdir(), 'aiprov-authenticated-'));
    await writeFile(join(model, 'weights.bin'), 'w');
    await writeFile(join(model, 'model.sig'), '{"not": "read"}');
  });

  afterAll(async () => {
    await rm(model, { recursive: true, force: true });
  });

  it('the verification re-hash does not compile with a serialization nobody authenticated', async () => {
    const unverified: Serialization = { ...resolveSerialization({}), ignorePaths: ['weights.bin'] };
    // @ts-expect-error a plain Serialization (e.g. read from an unverified model.sig) is refused by the compiler; `npm run typecheck` fails if this line ever compiles
    const forged = (): unknown => rehashRootDigest(model, unverified);
    expect(typeof forged).toBe('function');
    const defaults = await defaultSerialization(model, 'model');
    expect((await rehashRootDigest(model, defaults)).resourceCount).toBe(1);
  });

  it('defaults are sign\'s with no options, leaving out every kind\'s signature file, never what model.sig says', async () => {
    const defaults = await defaultSerialization(model, 'model');
    expect(defaults).toMatchObject({ method: 'files', hashType: 'sha256', allowSymlinks: false });
    expect(defaults.ignorePaths).toContain('model.sig');
    expect(defaults.ignorePaths).not.toContain('weights.bin');
  });

  it('the verifier\'s choices only add ignore paths and links, sorted and once', async () => {
    const defaults = await defaultSerialization(model, 'model');
    const chosen = withVerifierChoices(defaults, { ignorePaths: ['z', 'model.sig'], allowSymlinks: true });
    expect(chosen.ignorePaths).toEqual([...new Set([...defaults.ignorePaths, 'z'])].sort());
    expect(chosen.allowSymlinks).toBe(true);
    expect(withVerifierChoices({ ...defaults, allowSymlinks: true }, { ignorePaths: [], allowSymlinks: false }).allowSymlinks).toBe(true);
  });
});
