import { readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { computeManifest } from '../../src/manifest/compute.js';
import { computeRootDigest } from '../../src/manifest/manifest.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type CurveName } from '../../src/format/keys.js';
import { signArtifact } from '../../src/sign/sign-artifact.js';
import { signDsseBundle } from '../../src/sign/signer.js';
import { buildOmsStatement } from '../../src/statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/statement/statement.js';
import { verifyArtifact, type VerifyArtifactOptions } from '../../src/verify/verify-artifact.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { rejectionOf } from '../support/errors.js';

function keys(curve: CurveName = 'P-256'): { privateKey: ReturnType<typeof parsePrivateKey>; publicKey: ReturnType<typeof parsePublicKey> } {
  const pair = generateKeyPair(curve);
  return { privateKey: parsePrivateKey(pair.privateKeyPem, 'test'), publicKey: parsePublicKey(pair.publicKeyPem, 'test') };
}

describe('verifyArtifact', () => {
  let model: string;
  let signer: ReturnType<typeof keys>;
  let options: VerifyArtifactOptions;

  beforeEach(async () => {
    model = await writeModel(await temporaryDirectory(), SMALL_MODEL);
    signer = keys();
    await signArtifact(model, { signingMethod: { kind: 'key', privateKey: signer.privateKey } });
    options = { trust: { kind: 'key', publicKey: signer.publicKey } };
  });

  const signaturePath = (): string => join(model, 'model.sig');
  const readBundle = async (): Promise<Record<string, unknown>> => JSON.parse(await readFile(signaturePath(), 'utf8')) as Record<string, unknown>;
  const writeBundle = async (bundle: unknown): Promise<void> => {
    await writeFile(signaturePath(), JSON.stringify(bundle));
  };
  /** Signs a hand-made statement, to test what the verifier does with a validly signed lie. */
  const signStatement = async (statement: unknown): Promise<void> => {
    await writeBundle(signDsseBundle(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, { kind: 'key', privateKey: signer.privateKey }));
  };

  it('verifies an untouched artifact and names the signer', async () => {
    const result = await verifyArtifact(model, options);
    expect(result.verified).toBe(true);
    expect(result.findings).toEqual([]);
    expect(result.resourceCount).toBe(4);
    expect(result.signer).toMatchObject({ kind: 'key', curve: 'P-256' });
    expect(result.signedRootDigest).toBe(computeRootDigest((await computeManifest(model, { ignorePaths: ['model.sig'] })).resources));
  });

  it('reports one changed byte as FILE_CHANGED', async () => {
    const path = join(model, 'weights/layer-0.bin');
    const bytes = await readFile(path);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const result = await verifyArtifact(model, options);
    expect(result.verified).toBe(false);
    expect(result.findings).toEqual([expect.objectContaining({ code: 'FILE_CHANGED', severity: 'error', path: 'weights/layer-0.bin' })]);
  });

  it('reports added, removed and renamed files', async () => {
    await writeFile(join(model, 'extra.txt'), 'not signed');
    await unlink(join(model, 'config.json'));
    await rename(join(model, 'weights/layer-1.bin'), join(model, 'weights/layer-one.bin'));
    const result = await verifyArtifact(model, options);
    expect(result.verified).toBe(false);
    expect(result.diff).toEqual({ extra: ['extra.txt', 'weights/layer-one.bin'], missing: ['config.json', 'weights/layer-1.bin'], changed: [] });
  });

  it('tolerates unsigned files with ignoreUnsignedFiles, and says so', async () => {
    await writeFile(join(model, 'README.md'), 'added after signing');
    const result = await verifyArtifact(model, { ...options, ignoreUnsignedFiles: true });
    expect(result.verified).toBe(true);
    expect(result.findings).toEqual([expect.objectContaining({ code: 'UNSIGNED_FILE_IGNORED', severity: 'info', path: 'README.md' })]);
  });

  it('refuses a file replaced by a symlink', async () => {
    await rm(join(model, 'config.json'));
    await symlink(join(model, 'weights/layer-0.bin'), join(model, 'config.json'));
    const error = await rejectionOf(verifyArtifact(model, options));
    expect(error).toMatchObject({ code: 'SYMLINK_REFUSED', category: 'input', path: 'config.json' });
  });

  it('rejects an altered signed payload', async () => {
    const bundle = await readBundle();
    const envelope = bundle['dsseEnvelope'] as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as { subject: { name: string }[] };
    statement.subject[0] = { ...statement.subject[0], name: 'renamed' };
    envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    await writeBundle(bundle);
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code: 'SIGNATURE_INVALID', category: 'verification' });
  });

  it('rejects a signature from another key (hint mismatch)', async () => {
    const other = keys();
    expect(await rejectionOf(verifyArtifact(model, { trust: { kind: 'key', publicKey: other.publicKey } }))).toMatchObject({ code: 'KEY_MISMATCH', category: 'verification' });
  });

  it('rejects a signature from another key even when the hint is blanked', async () => {
    const bundle = await readBundle();
    (bundle['verificationMaterial'] as { publicKey: { hint: string } }).publicKey.hint = '';
    await writeBundle(bundle);
    expect(await rejectionOf(verifyArtifact(model, { trust: { kind: 'key', publicKey: keys().publicKey } }))).toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('rejects a key of another curve', async () => {
    const bundle = await readBundle();
    (bundle['verificationMaterial'] as { publicKey: { hint: string } }).publicKey.hint = '';
    await writeBundle(bundle);
    expect(await rejectionOf(verifyArtifact(model, { trust: { kind: 'key', publicKey: keys('P-384').publicKey } }))).toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('rejects a certificate bundle when a key is given', async () => {
    const bundle = await readBundle();
    (bundle['verificationMaterial'] as Record<string, unknown>) = { x509CertificateChain: { certificates: [] }, tlogEntries: [] };
    await writeBundle(bundle);
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code: 'VERIFICATION_MATERIAL_MISMATCH' });
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, text.length / 2), 'BUNDLE_NOT_JSON'],
    ['not JSON', () => 'model.sig is not json', 'BUNDLE_NOT_JSON'],
    ['an unknown field', (text: string) => JSON.stringify({ ...(JSON.parse(text) as object), extra: true }), 'BUNDLE_INVALID'],
    ['an unknown nested field', (text: string) => text.replace('"payloadType"', '"payloadTypo":1,"payloadType"'), 'BUNDLE_INVALID'],
    ['an unknown media type', (text: string) => text.replace('bundle.v0.3+json', 'bundle.v9+json'), 'BUNDLE_UNSUPPORTED_MEDIA_TYPE'],
    ['an older media type', (text: string) => text.replace('application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.dev.sigstore.bundle+json;version=0.2'), 'BUNDLE_UNSUPPORTED_MEDIA_TYPE'],
    // The payload and the signature both, so the text surely changes: a 72-byte signature alone has
    // no '+', '/' or padding about one time in twenty.
    ['URL-safe base64', (text: string) => text.replace(/"(sig|payload)":"([^"]*)"/g, (_match, field: string, value: string) => `"${field}":"${value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}"`), 'BUNDLE_INVALID'],
  ])('rejects a bundle that is %s as bad input', async (_label, mutate, code) => {
    const text = await readFile(signaturePath(), 'utf8');
    const mutated = mutate(text);
    expect(mutated).not.toBe(text);
    await writeFile(signaturePath(), mutated);
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code, category: 'input' });
  });

  it.each([
    ['../x', 'RESOURCE_PATH_ESCAPES'],
    ['/etc/passwd', 'RESOURCE_PATH_ESCAPES'],
    ['weights/\u0000evil', 'RESOURCE_PATH_ESCAPES'],
    ['weights/../../x', 'RESOURCE_PATH_ESCAPES'],
    ['C:/Windows/x', 'RESOURCE_PATH_ESCAPES'],
  ])('rejects a signed manifest naming %j', async (name, code) => {
    const manifest = await computeManifest(model, { ignorePaths: ['model.sig'] });
    const resources = [...manifest.resources, { name, algorithm: 'sha256', digest: 'ab'.repeat(32) }];
    await signStatement(buildOmsStatement({ ...manifest, resources }));
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code, category: 'input' });
  });

  it('rejects a signed manifest listing a resource twice', async () => {
    const manifest = await computeManifest(model, { ignorePaths: ['model.sig'] });
    const [first] = manifest.resources;
    await signStatement(buildOmsStatement({ ...manifest, resources: [...manifest.resources, first ?? { name: '', algorithm: '', digest: '' }] }));
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code: 'DUPLICATE_RESOURCE' });
  });

  it('rejects a subject digest that is not the root of the resources', async () => {
    const manifest = await computeManifest(model, { ignorePaths: ['model.sig'] });
    const statement = buildOmsStatement(manifest);
    const subject = statement.subject[0];
    if (subject !== undefined) subject.digest = { sha256: 'cd'.repeat(32) };
    await signStatement(statement);
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code: 'SUBJECT_DIGEST_MISMATCH', category: 'verification' });
  });

  it('rejects an unknown predicate field in a validly signed statement', async () => {
    const statement = buildOmsStatement(await computeManifest(model, { ignorePaths: ['model.sig'] }));
    await signStatement({ ...statement, predicate: { ...(statement.predicate as object), surprise: 1 } });
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code: 'PREDICATE_INVALID' });
  });

  it('hashes a file posing as the attestations file when the signer did not record it and it is not one', async () => {
    // As model_signing signs: only the signature file is recorded in ignore_paths.
    await signStatement(buildOmsStatement(await computeManifest(model, { ignorePaths: ['model.sig'] })));
    await writeFile(join(model, 'model.intoto.jsonl'), '');
    expect((await verifyArtifact(model, options)).verified).toBe(true);
    await writeFile(join(model, 'model.intoto.jsonl'), 'import os  # not a Sigstore bundle\n');
    const result = await verifyArtifact(model, options);
    expect(result.verified).toBe(false);
    expect(result.diff.extra).toEqual(['model.intoto.jsonl']);
  });

  it('needs both an identity and an issuer to verify keylessly', async () => {
    const { publicGoodTrustRoot } = await import('../../src/verify/trust.js');
    const error = await rejectionOf(verifyArtifact(model, { trust: { kind: 'sigstore', trustRoot: publicGoodTrustRoot(), identity: { certificateOidcIssuer: 'https://token.actions.githubusercontent.com' } } }));
    expect(error).toMatchObject({ code: 'IDENTITY_REQUIRED', category: 'input' });
  });

  it('reports a missing signature file as an I/O error', async () => {
    await unlink(signaturePath());
    expect(await rejectionOf(verifyArtifact(model, options))).toMatchObject({ code: 'FILE_NOT_FOUND', category: 'io' });
  });
});
