/**
 * A complete Sigstore signing stack on 127.0.0.1: Fulcio (with a CT log for its SCTs), Rekor (v1
 * and v2 APIs), an RFC 3161 TSA and an OIDC provider, each on its own ephemeral port, plus the
 * `trusted_root.json` and SigningConfig v0.2 that describe them.
 *
 * It is for tests and the demo, where the public-good services cannot be reached. Nothing in
 * aiprov trusts it implicitly: a bundle it witnessed verifies only against the trusted root this
 * function returns, passed explicitly (`--trusted-root`).
 *
 * The services are the low-level parts of @sigstore/mock, with two of its defects worked around
 * (both measured against @sigstore/mock 0.12):
 * - its Rekor logs DSSE entries as submitted: requests are rewritten into the body Rekor would
 *   store (rekor-entries.ts), so bundles pass @sigstore/verify's tlog body check;
 * - about 1 in 10 of its timestamps carry a GeneralizedTime whose fraction has fewer than three
 *   digits (DER drops trailing zeros), which @sigstore/core's parser rejects: each timestamp is
 *   parsed before it is returned and re-issued when it does not parse.
 * Its inclusion proofs are also replaced: it proves each entry as the single leaf of a tree
 * (index 0, which protobuf JSON then omits, and for Rekor v2 an index beyond the tree);
 * inclusion-proof.ts proves the entry at its own index in a larger tree, with a real Merkle path.
 */
import { createHash, generateKeyPairSync, randomInt, type KeyPairKeyObjectResult } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RFC3161Timestamp } from '@sigstore/core';
import { TransparencyLogEntry } from '@sigstore/protobuf-specs';
// Deep imports on purpose: the package index also loads its nock-based helpers, and nock patches
// node:http globally as soon as it is imported, which would reroute every request of the process.
import { fulcioHandler, initializeCA, initializeCTLog } from '@sigstore/mock/dist/fulcio/index.js';
import { initializeTLog, rekorHandler, type TLog } from '@sigstore/mock/dist/rekor/index.js';
import { initializeTSA, tsaHandler } from '@sigstore/mock/dist/timestamp/index.js';
import type { HandlerFnResult } from '@sigstore/mock/dist/shared.types.js';
import { z } from 'zod';
import { LocalStackError } from './errors.js';
import { proveInclusion, type LogIdentity } from './inclusion-proof.js';
import { listenOnLoopback, type LoopbackResponse } from './loopback-server.js';
import { startLocalOidcProvider, type LocalOidcProvider, type LocalOidcProviderOptions } from './oidc-provider.js';
import { canonicalRekorV1Entry, checkedHashedRekordV1Entry, RejectedEntryError, rekorV2Entry } from './rekor-entries.js';
import { localSigningConfig, localTrustedRoot, type JsonDocument } from './trust-material.js';

export interface LocalSigstoreOptions {
  /** Write `trusted_root.json` and `signing_config.json` into this directory (created if needed). */
  readonly dir?: string;
  /** The Rekor API the signing config advertises; the server answers both. Default 1. */
  readonly rekorApiVersion?: 1 | 2;
  /** List the TSA in the signing config. Default true; Rekor v2 requires it (no SET timestamp). */
  readonly timestampAuthority?: boolean;
  readonly oidc?: LocalOidcProviderOptions;
}

export interface LocalSigstore {
  /** Fulcio base URL (the client appends `/api/v2/signingCert`). */
  readonly fulcioUrl: string;
  /** Rekor base URL (the client appends `/api/v1/log/entries` or `/api/v2/log/entries`). */
  readonly rekorUrl: string;
  readonly rekorApiVersion: 1 | 2;
  /** The TSA's full endpoint, `…/api/v1/timestamp`, as SigningConfig lists TSAs. */
  readonly tsaUrl: string;
  /** The OIDC issuer; also the `iss` of every token `mintIdentityToken` makes. */
  readonly issuer: string;
  readonly oidc: LocalOidcProvider;
  /** `trusted_root.json` content (protobuf JSON). */
  readonly trustedRoot: JsonDocument;
  /** SigningConfig v0.2 content (protobuf JSON). */
  readonly signingConfig: JsonDocument;
  readonly trustedRootPath?: string;
  readonly signingConfigPath?: string;
  /** An identity token for `subject` the local Fulcio accepts (see LocalOidcProvider). */
  mintIdentityToken(subject: string, extraClaims?: Readonly<Record<string, unknown>>): string;
  close(): Promise<void>;
}

/** Attempts before the TSA gives up on producing a parseable timestamp (each fails ~10 %). */
const TSA_ATTEMPTS = 20;

export async function startLocalSigstore(options: LocalSigstoreOptions = {}): Promise<LocalSigstore> {
  const rekorApiVersion = options.rekorApiVersion ?? 1;
  const listTsa = options.timestampAuthority ?? true;
  if (rekorApiVersion === 2 && !listTsa) {
    throw new LocalStackError('LOCAL_STACK_OPTIONS_INVALID', 'Rekor v2 entries carry no signed timestamp: a TSA is required');
  }
  // Certificates encode whole seconds; starting the validity at the second floor keeps every
  // certificate and timestamp the stack issues inside the windows the trusted root declares.
  const validFrom = new Date(Math.floor(Date.now() / 1000) * 1000);

  const servers: { close(): Promise<void> }[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  };

  try {
    const ctlog = await initializeCTLog(ecKeyPair());
    const ca = await initializeCA(ecKeyPair(), ctlog);
    const fulcio = await listenOnLoopback(() => {
      const handler = fulcioHandler(ca);
      return async (request) => {
        if (request.method !== 'POST' || request.url.pathname !== handler.path) return notFound();
        return fromMock(await handler.fn(request.body.toString('utf8')));
      };
    });
    servers.push(fulcio);

    const rekorKeys = ecKeyPair();
    let tlog: TLog | undefined;
    const rekor = await listenOnLoopback(async (origin) => {
      // The checkpoint's signer name is the host of this URL; verifiers match it against the
      // tlog's baseUrl, so the log must know its real origin.
      const log = await initializeTLog(origin, rekorKeys);
      tlog = log;
      const identity: LogIdentity = {
        name: new URL(origin).host,
        logId: createHash('sha256').update(log.publicKey).digest(),
        privateKey: rekorKeys.privateKey,
      };
      return rekorRoutes(log, identity);
    });
    servers.push(rekor);

    const tsa = await initializeTSA(ecKeyPair());
    const tsaServer = await listenOnLoopback(() => {
      const handler = tsaHandler(tsa);
      return async (request) => {
        if (request.method !== 'POST' || request.url.pathname !== handler.path) return notFound();
        return issueParseableTimestamp(() => handler.fn(request.body.toString('utf8')));
      };
    });
    servers.push(tsaServer);

    const oidc = await startLocalOidcProvider(options.oidc);
    servers.push(oidc);

    const tsaUrl = `${tsaServer.origin}/api/v1/timestamp`;
    if (tlog === undefined) throw new LocalStackError('LOCAL_STACK_FAILED', 'the local Rekor did not initialize');
    const trustedRoot = localTrustedRoot({
      validFrom,
      fulcioUrl: fulcio.origin,
      caRoot: asBytes(ca.rootCertificate),
      rekorUrl: rekor.origin,
      rekorPublicKey: tlog.publicKey,
      ctlogUrl: fulcio.origin,
      ctlogPublicKey: ctlog.publicKey,
      tsaUrl,
      tsaChain: [asBytes(tsa.intCertificate), asBytes(tsa.rootCertificate)],
    });
    const signingConfig = localSigningConfig({
      validFrom,
      fulcioUrl: fulcio.origin,
      oidcIssuer: oidc.issuer,
      rekorUrl: rekor.origin,
      rekorApiVersion,
      ...(listTsa ? { tsaUrl } : {}),
    });

    let paths: { trustedRootPath: string; signingConfigPath: string } | undefined;
    if (options.dir !== undefined) {
      paths = {
        trustedRootPath: path.join(options.dir, 'trusted_root.json'),
        signingConfigPath: path.join(options.dir, 'signing_config.json'),
      };
      await writeJson(options.dir, paths.trustedRootPath, trustedRoot);
      await writeJson(options.dir, paths.signingConfigPath, signingConfig);
    }

    return {
      fulcioUrl: fulcio.origin,
      rekorUrl: rekor.origin,
      rekorApiVersion,
      tsaUrl,
      issuer: oidc.issuer,
      oidc,
      trustedRoot,
      signingConfig,
      ...paths,
      mintIdentityToken: (subject, extraClaims) => oidc.mintIdentityToken(subject, extraClaims),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function rekorRoutes(tlog: TLog, log: LogIdentity): (request: { method: string; url: URL; body: Buffer }) => Promise<LoopbackResponse> {
  const v1 = rekorHandler(tlog);
  return async (request) => {
    if (request.method !== 'POST') return notFound();
    let proposed: unknown;
    try {
      proposed = JSON.parse(request.body.toString('utf8'));
    } catch {
      return { status: 400, body: 'request body is not JSON' };
    }
    try {
      switch (request.url.pathname) {
        case '/api/v1/log/entries':
          // The mock canonicalizes (JCS) and logs whatever it is given: give it Rekor's body.
          return withV1InclusionProof(log, fromMock(await v1.fn(JSON.stringify(isHashedRekord(proposed) ? checkedHashedRekordV1Entry(proposed) : canonicalRekorV1Entry(proposed)))));
        case '/api/v2/log/entries':
          return await logV2(tlog, log, rekorV2Entry(proposed));
        default:
          return notFound();
      }
    } catch (error) {
      if (error instanceof RejectedEntryError) return { status: 400, body: JSON.stringify({ message: error.message }), contentType: 'application/json' };
      throw error;
    }
  };
}

const RekorV1ResponseSchema = z.record(
  z.string(),
  z.looseObject({ body: z.string(), integratedTime: z.number(), logIndex: z.number(), verification: z.looseObject({}) }),
);

/** Replaces the mock's one-leaf proof of a Rekor v1 entry by one at the entry's log index. */
function withV1InclusionProof(log: LogIdentity, response: LoopbackResponse): LoopbackResponse {
  if (response.status !== 201 || typeof response.body !== 'string') return response;
  const entries = RekorV1ResponseSchema.parse(JSON.parse(response.body));
  for (const entry of Object.values(entries)) {
    const proof = proveInclusion(log, Buffer.from(entry.body, 'base64'), BigInt(entry.logIndex), { timestampSeconds: entry.integratedTime });
    entry.verification = {
      ...entry.verification,
      inclusionProof: {
        logIndex: Number(proof.logIndex),
        treeSize: Number(proof.treeSize),
        rootHash: proof.rootHash.toString('hex'),
        hashes: proof.hashes.map((hash) => hash.toString('hex')),
        checkpoint: proof.checkpoint,
      },
    };
  }
  return { ...response, body: JSON.stringify(entries) };
}

/**
 * The mock's `logV2` JCS-canonicalizes whatever it is passed as the logged body, and derives the
 * kind from a request `$case`; we pass it the stored Entry's protobuf JSON, and set the entry's
 * kind, version, time and proof ourselves. Rekor v2 has no integrated time and no SET (the signer
 * must get a TSA timestamp), so integratedTime is 0 as from the real service; its checkpoints
 * carry no timestamp line.
 */
async function logV2(tlog: TLog, log: LogIdentity, entryJson: Record<string, unknown>): Promise<LoopbackResponse> {
  const logged = await tlog.logV2(entryJson as unknown as Parameters<TLog['logV2']>[0]);
  const logIndex = BigInt(randomInt(1, 10_000_000));
  const proof = proveInclusion(log, logged.canonicalizedBody, logIndex);
  const entry: TransparencyLogEntry = {
    ...logged,
    logIndex: logIndex.toString(),
    kindVersion: { kind: String(entryJson['kind']), version: String(entryJson['apiVersion']) },
    integratedTime: '0',
    inclusionPromise: undefined,
    inclusionProof: {
      logIndex: logIndex.toString(),
      treeSize: proof.treeSize.toString(),
      rootHash: proof.rootHash,
      hashes: [...proof.hashes],
      checkpoint: { envelope: proof.checkpoint },
    },
  };
  return { status: 201, body: JSON.stringify(TransparencyLogEntry.toJSON(entry)), contentType: 'application/json' };
}

/**
 * Re-issues a timestamp until @sigstore/core can parse it. The mock's TSA writes `genTime` with
 * milliseconds and DER strips trailing zeros from the fraction (X.690 §11.7.3), so a time like
 * `.120` becomes `.12`, which core's GeneralizedTime pattern (`\.\d{3}`) refuses. A later issue
 * falls on another millisecond.
 */
async function issueParseableTimestamp(issue: () => Promise<HandlerFnResult>): Promise<LoopbackResponse> {
  for (let attempt = 0; attempt < TSA_ATTEMPTS; attempt += 1) {
    const result = await issue();
    if (result.statusCode !== 201 || typeof result.response === 'string') return fromMock(result);
    try {
      const { signingTime } = RFC3161Timestamp.parse(Buffer.from(asBytes(result.response)));
      if (!Number.isNaN(signingTime.getTime())) return fromMock(result);
    } catch {
      // Unparseable: issue again, below.
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return { status: 500, body: 'could not issue a parseable timestamp' };
}

function fromMock(result: HandlerFnResult): LoopbackResponse {
  const body = typeof result.response === 'string' ? result.response : asBytes(result.response);
  return { status: result.statusCode, body, ...(result.contentType === undefined ? {} : { contentType: result.contentType }) };
}

function asBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

async function writeJson(dir: string, file: string, document: JsonDocument): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    throw new LocalStackError('LOCAL_STACK_IO', `cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function ecKeyPair(): KeyPairKeyObjectResult {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function notFound(): LoopbackResponse {
  return { status: 404, body: 'not found' };
}

/** Message signatures are logged as `hashedrekord` entries; everything else aiprov signs is DSSE. */
function isHashedRekord(proposed: unknown): boolean {
  return typeof proposed === 'object' && proposed !== null && (proposed as { kind?: unknown }).kind === 'hashedrekord';
}
