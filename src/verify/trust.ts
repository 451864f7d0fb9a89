/**
 * Sigstore trust material, loaded offline: the public-good `trusted_root.json` shipped inside
 * `@sigstore/tuf` (seeds.json), the staging one embedded below, or a private instance's file.
 *
 * A trusted root is the only thing that makes a keyless signature mean anything: it names the
 * Fulcio CAs, the Rekor and CT log keys and the timestamp authorities, each with the period it
 * may be trusted for (protobuf-specs `sigstore_trustroot.proto`). It is validated here once, at
 * the edge, before `@sigstore/verify` turns it into key objects. Nothing here touches the network:
 * refreshing the root through TUF is a separate, explicit step (trust is an input, never fetched silently).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot, type CertificateAuthority, type TimeRange } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type KeyFinderFunc, type TrustMaterial } from '@sigstore/verify';
import { z } from 'zod';
import { InputError, isAiprovError } from '../errors.js';
import { issueMessage, ProblemsError } from '../input/problem.js';
import { readBounded } from '../input/read-bounded.js';

export type { TrustMaterial } from '@sigstore/verify';

/** The TUF mirror whose root `@sigstore/tuf` seeds: the Sigstore public-good instance. */
export const PUBLIC_GOOD_TUF_URL = 'https://tuf-repo-cdn.sigstore.dev';

/** A trusted root is a few kilobytes; anything this large is not one (bounds what we parse). */
export const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;

/** A validated trusted root and where it came from. */
export interface SigstoreTrustRoot {
  /** For messages and `--json`: "public-good (…)", "staging (…)" or the file path. */
  readonly source: string;
  /** SHA-256 of the JSON bytes, so a report can say exactly which root it trusted. */
  readonly sha256: string;
  /**
   * The root as `@sigstore/verify` reads it, after validation. A CA or TSA entry without a
   * validity start has been given its chain's latest notBefore (see `normalizeCertAuthority`).
   */
  readonly trustedRoot: TrustedRoot;
}

export interface TrustRootChoice {
  /** A `trusted_root.json` file (a private Sigstore instance, or a pinned public-good copy). */
  readonly trustedRoot?: string;
  /** The Sigstore staging instance (embedded copy). */
  readonly staging?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Sources

const require = createRequire(import.meta.url);

/**
 * `@sigstore/tuf/seeds.json`: per TUF mirror, the initial `root.json` and a map of target name to
 * base64 target bytes. Its integrity is the npm package's (lockfile hash); we never fetch.
 */
const SeedsSchema = z.record(z.string(), z.object({ targets: z.record(z.string(), z.string()) }));

let publicGood: SigstoreTrustRoot | undefined;

/** The Sigstore public-good trusted root, as shipped in the installed `@sigstore/tuf`. */
export function publicGoodTrustRoot(): SigstoreTrustRoot {
  if (publicGood !== undefined) return publicGood;
  let target: string | undefined;
  let version = 'unknown version';
  try {
    const seeds = SeedsSchema.parse(require('@sigstore/tuf/seeds.json'));
    target = seeds[PUBLIC_GOOD_TUF_URL]?.targets['trusted_root.json'];
    const manifest = z.object({ version: z.string() }).safeParse(require('@sigstore/tuf/package.json'));
    if (manifest.success) version = manifest.data.version;
  } catch (error) {
    throw new InputError('TRUST_ROOT_UNAVAILABLE', 'cannot read the public-good trusted root from @sigstore/tuf/seeds.json (is @sigstore/tuf installed?)', { cause: error });
  }
  if (target === undefined) {
    throw new InputError('TRUST_ROOT_UNAVAILABLE', `@sigstore/tuf/seeds.json has no trusted_root.json target for ${PUBLIC_GOOD_TUF_URL}`);
  }
  publicGood = parseTrustRoot(Buffer.from(target, 'base64'), `public-good (embedded in @sigstore/tuf ${version})`);
  return publicGood;
}

let staging: SigstoreTrustRoot | undefined;

/** The Sigstore staging trusted root (embedded copy; see `STAGING_TRUSTED_ROOT_JSON`). */
export function stagingTrustRoot(): SigstoreTrustRoot {
  staging ??= parseTrustRoot(Buffer.from(STAGING_TRUSTED_ROOT_JSON, 'utf8'), 'staging (embedded snapshot)');
  if (staging.sha256 !== STAGING_TRUSTED_ROOT_SHA256) {
    // The copy below is pinned: an edit that is not a deliberate refresh must not go unnoticed.
    throw new InputError('TRUST_ROOT_UNAVAILABLE', 'the embedded staging trusted root does not match its pinned digest');
  }
  return staging;
}

/**
 * Reads and validates a `trusted_root.json` file: TRUSTED_ROOT_TOO_LARGE or TRUSTED_ROOT_NOT_A_FILE
 * before anything is parsed, TRUST_ROOT_INVALID after.
 */
export async function trustRootFromFile(path: string): Promise<SigstoreTrustRoot> {
  return parseTrustRoot(await readBounded(path, { maxBytes: MAX_TRUSTED_ROOT_BYTES, kind: 'TRUSTED_ROOT', what: 'trusted root' }), path);
}

/** Picks the root the flags ask for: a file, `--staging`, or public-good by default. */
export async function loadTrustRoot(choice: TrustRootChoice = {}): Promise<SigstoreTrustRoot> {
  if (choice.trustedRoot !== undefined && choice.staging === true) {
    throw new InputError('USAGE', '--trusted-root and --staging are mutually exclusive');
  }
  if (choice.trustedRoot !== undefined) return trustRootFromFile(choice.trustedRoot);
  return choice.staging === true ? stagingTrustRoot() : publicGoodTrustRoot();
}

/**
 * Turns a validated root into `@sigstore/verify` trust material. `keys` resolves the public key
 * of a key-signed bundle by its hint (managed keys are not part of a trusted root).
 */
export function toVerifierTrustMaterial(root: SigstoreTrustRoot, keys?: KeyFinderFunc): TrustMaterial {
  try {
    return toTrustMaterial(root.trustedRoot, keys);
  } catch (error) {
    // parseTrustRoot already parsed every key and certificate; this is a defence in depth.
    throw new InputError('TRUST_ROOT_INVALID', `${root.source}: a key or certificate of the trusted root cannot be loaded`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

const TRUSTED_ROOT_MEDIA_TYPES = ['application/vnd.dev.sigstore.trustedroot+json;version=0.1', 'application/vnd.dev.sigstore.trustedroot.v0.2+json'] as const;

/** proto3 JSON `bytes`: standard or URL-safe base64, padding optional (protobuf JSON mapping). */
const base64Bytes = z.string().regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64');
/** proto3 JSON `google.protobuf.Timestamp`: RFC 3339 with a mandatory offset. */
const rfc3339 = z.string().refine((value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value)), 'must be an RFC 3339 timestamp');

const TimeRangeJson = z.object({ start: rfc3339.nullish(), end: rfc3339.nullish() });
const LogInstanceJson = z.object({
  baseUrl: z.string(),
  hashAlgorithm: z.string().nullish(),
  publicKey: z.object({ rawBytes: base64Bytes, keyDetails: z.string(), validFor: TimeRangeJson.nullish() }),
  logId: z.object({ keyId: base64Bytes }),
  checkpointKeyId: z.object({ keyId: base64Bytes }).nullish(),
});
const CertAuthorityJson = z.object({
  uri: z.string().nullish(),
  certChain: z.object({ certificates: z.array(z.object({ rawBytes: base64Bytes })).min(1, 'a certificate authority needs at least one certificate') }),
  validFor: TimeRangeJson.nullish(),
});
// Unknown fields are tolerated: a trusted root is signed, authoritative data, and newer roots add
// fields (v0.2 added checkpointKeyId and operator) that must not lock older clients out.
const TrustedRootJson = z.object({
  mediaType: z.enum(TRUSTED_ROOT_MEDIA_TYPES),
  tlogs: z.array(LogInstanceJson).nullish(),
  certificateAuthorities: z.array(CertAuthorityJson).nullish(),
  ctlogs: z.array(LogInstanceJson).nullish(),
  timestampAuthorities: z.array(CertAuthorityJson).nullish(),
});
type LogInstanceJson = z.infer<typeof LogInstanceJson>;

/**
 * Parses and validates `trusted_root.json` bytes. A malformed root is refused as a whole
 * (`TRUST_ROOT_INVALID`) rather than used in part: a root is published as one signed unit, and
 * silently dropping the broken entry would make the outcome depend on which key a bundle
 * happens to use.
 */
export function parseTrustRoot(bytes: Uint8Array, source: string): SigstoreTrustRoot {
  if (bytes.byteLength > MAX_TRUSTED_ROOT_BYTES) {
    throw new InputError('TRUSTED_ROOT_TOO_LARGE', `${source} is ${String(bytes.byteLength)} bytes, more than the ${String(MAX_TRUSTED_ROOT_BYTES)} a trusted root may have`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new InputError('TRUST_ROOT_INVALID', `${source} is not valid JSON`, { cause: error });
  }
  const parsed = TrustedRootJson.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source, code: 'TRUST_ROOT_INVALID' });

  const logs: [string, readonly LogInstanceJson[]][] = [
    ['tlogs', parsed.data.tlogs ?? []],
    ['ctlogs', parsed.data.ctlogs ?? []],
  ];
  for (const [field, instances] of logs) {
    instances.forEach((instance, index) => {
      checkLogKeyValidity(instance, `${source}: ${field}[${String(index)}] (${instance.baseUrl})`);
    });
  }

  let trustedRoot: TrustedRoot;
  try {
    trustedRoot = TrustedRoot.fromJSON(json);
    trustedRoot.certificateAuthorities = trustedRoot.certificateAuthorities.map((ca, index) => normalizeCertAuthority(ca, `${source}: certificateAuthorities[${String(index)}]`));
    trustedRoot.timestampAuthorities = trustedRoot.timestampAuthorities.map((ca, index) => normalizeCertAuthority(ca, `${source}: timestampAuthorities[${String(index)}]`));
    // Loading it once here turns every unparseable key into a TRUST_ROOT_INVALID now, not an
    // unexplained failure in the middle of verifying a bundle.
    toTrustMaterial(trustedRoot);
  } catch (error) {
    if (isAiprovError(error)) throw error;
    throw new InputError('TRUST_ROOT_INVALID', `${source}: a key or certificate of the trusted root cannot be parsed`, { cause: error });
  }
  return { source, sha256: createHash('sha256').update(bytes).digest('hex'), trustedRoot };
}

/**
 * A log key's `validFor` bounds the times at which its signatures (SETs, checkpoints, SCTs) are
 * believed. `TimeRange.start` is required (sigstore_common.proto: the range is closed, only `end`
 * is optional). `@sigstore/verify` reads a missing start as the beginning of time, which would
 * let a log key vouch for entries dated before it was ever trusted, e.g. a newly added or
 * compromised key backdating a signature. Conformance case
 * `trust-root-tlog-missing-validity-start_fail`. An absent `validFor` (the whole optional field)
 * is a key without a declared period, as `PublicKey.valid_for` allows.
 */
function checkLogKeyValidity(instance: LogInstanceJson, where: string): void {
  const validFor = instance.publicKey.validFor;
  if (validFor == null) return;
  if (validFor.start == null) {
    throw new InputError('TRUST_ROOT_INVALID', `${where}: publicKey.validFor has no start; a validity period must say when the key became trusted`);
  }
  checkRange(validFor.start, validFor.end ?? undefined, where);
}

function checkRange(start: string, end: string | undefined, where: string): void {
  if (end !== undefined && Date.parse(end) < Date.parse(start)) {
    throw new InputError('TRUST_ROOT_INVALID', `${where}: validFor ends (${end}) before it starts (${start})`);
  }
}

/**
 * A CA or TSA `validFor` is "at max the longest interval when all certificates in the chain were
 * valid" (sigstore_trustroot.proto, CertificateAuthority.valid_for), and clients must check both.
 * When the start is missing we therefore take the chain's own bound, its latest notBefore, instead
 * of `@sigstore/verify`'s beginning of time: the chain is checked at the verified time anyway,
 * so this refuses nothing the chain would accept, and the bound no longer depends on that check.
 * (Unlike a log key, a CA has a certificate that carries its own validity: this is why a missing
 * start is tolerated here and not there; sigstore-js's own fixtures rely on it.)
 */
function normalizeCertAuthority(ca: CertificateAuthority, where: string): CertificateAuthority {
  const certificates = ca.certChain?.certificates ?? [];
  if (certificates.length === 0) throw new InputError('TRUST_ROOT_INVALID', `${where}: certChain has no certificate`);
  const parsed = certificates.map((certificate) => X509Certificate.parse(Buffer.from(certificate.rawBytes)));
  const validFor: TimeRange = { ...ca.validFor, start: ca.validFor?.start ?? new Date(Math.max(...parsed.map((certificate) => certificate.notBefore.getTime()))) };
  if (validFor.start !== undefined) checkRange(validFor.start.toISOString(), validFor.end?.toISOString(), where);
  return { ...ca, validFor };
}

// ---------------------------------------------------------------------------------------------
// Staging snapshot

/**
 * SHA-256 of `STAGING_TRUSTED_ROOT_JSON`: byte-identical to sigstore-python @ 27db13db,
 * `sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstage.dev/trusted_root.json`
 * (testdata/sigstore-trust-roots/PROVENANCE.md). `@sigstore/tuf` seeds only the public-good
 * mirror, so the staging root is carried here. Refresh both together, deliberately.
 */
const STAGING_TRUSTED_ROOT_SHA256 = '81f5af777952d2c3955062ad56924c05ca916b5d49f3a0bce945faa475a8b1cc';

const STAGING_TRUSTED_ROOT_JSON = `{
  "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "tlogs": [
    {
      "baseUrl": "https://rekor.sigstage.dev",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEDODRU688UYGuy54mNUlaEBiQdTE9nYLr0lg6RXowI/QV/RE1azBn4Eg5/2uTOMbhB1/gfcHzijzFi9Tk+g1Prg==",
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {
          "start": "2021-01-12T11:53:27Z"
        }
      },
      "logId": {
        "keyId": "0y8wo8MtY5wrdiIFohx7sHeI5oKDpK5vQhGHI6G+pJY="
      }
    },
    {
      "baseUrl": "https://log2025-alpha1.rekor.sigstage.dev",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MCowBQYDK2VwAyEAPn+AREHoBaZ7wgS1zBqpxmLSGnyhxXj4lFxSdWVB8o8=",
        "keyDetails": "PKIX_ED25519",
        "validFor": {
          "start": "2025-04-16T00:00:00Z",
          "end": "2025-09-04T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck="
      }
    },
    {
      "baseUrl": "https://log2025-alpha2.rekor.sigstage.dev",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MCowBQYDK2VwAyEAkrA8Ou2FtN7kYXCP/lpvF8vQrvh4nj+91+PWOGGzfGc=",
        "keyDetails": "PKIX_ED25519",
        "validFor": {
          "start": "2025-08-08T00:00:00Z",
          "end": "2025-09-28T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "KfSiSX2iRLyhK62SUVL47vVcqqRx/RAewpKJm8IdZTo="
      }
    },
    {
      "baseUrl": "https://log2025-alpha3.rekor.sigstage.dev",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MCowBQYDK2VwAyEAlD3dVc8yaP25mPtT/sJ59D3LLxGBgW/qYrM6x6KmOqk=",
        "keyDetails": "PKIX_ED25519",
        "validFor": {
          "start": "2025-09-22T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "09OnDKEw7/hpZiYVPoTRzRbglHk0sylsUovegnRUlJY="
      }
    }
  ],
  "certificateAuthorities": [
    {
      "subject": {
        "organization": "sigstore.dev",
        "commonName": "sigstore"
      },
      "uri": "https://fulcio.sigstage.dev",
      "certChain": {
        "certificates": [
          {
            "rawBytes": "MIICGTCCAaCgAwIBAgITJta/okfgHvjabGm1BOzuhrwA1TAKBggqhkjOPQQDAzAqMRUwEwYDVQQKEwxzaWdzdG9yZS5kZXYxETAPBgNVBAMTCHNpZ3N0b3JlMB4XDTIyMDQxNDIxMzg0MFoXDTMyMDMyMjE2NTA0NVowNzEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MR4wHAYDVQQDExVzaWdzdG9yZS1pbnRlcm1lZGlhdGUwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAASosAySWJQ/tK5r8T5aHqavk0oI+BKQbnLLdmOMRXHQF/4Hx9KtNfpcdjH9hNKQSBxSlLFFN3tvFCco0qFBzWYwZtsYsBe1l91qYn/9VHFTaEVwYQWIJEEvrs0fvPuAqjajezB5MA4GA1UdDwEB/wQEAwIBBjATBgNVHSUEDDAKBggrBgEFBQcDAzASBgNVHRMBAf8ECDAGAQH/AgEAMB0GA1UdDgQWBBRxhjCmFHxib/n31vQFGn9f/+tvrDAfBgNVHSMEGDAWgBT/QjK6aH2rOnCv3AzUGuI+h49mZTAKBggqhkjOPQQDAwNnADBkAjAM1lbKkcqQlE/UspMTbWNo1y2TaJ44tx3l/FJFceTSdDZ+0W1OHHeU4twie/lq8XgCMHQxgEv26xNNiAGyPXbkYgrDPvbOqp0UeWX4mJnLSrBr3aN/KX1SBrKQu220FmVL0Q=="
          },
          {
            "rawBytes": "MIIB9jCCAXugAwIBAgITDdEJvluliE0AzYaIE4jTMdnFTzAKBggqhkjOPQQDAzAqMRUwEwYDVQQKEwxzaWdzdG9yZS5kZXYxETAPBgNVBAMTCHNpZ3N0b3JlMB4XDTIyMDMyNTE2NTA0NloXDTMyMDMyMjE2NTA0NVowKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTB2MBAGByqGSM49AgEGBSuBBAAiA2IABMo9BUNk9QIYisYysC24+2OytoV72YiLonYcqR3yeVnYziPt7Xv++CYE8yoCTiwedUECCWKOcvQKRCJZb9ht4Hzy+VvBx36hK+C6sECCSR0x6pPSiz+cTk1f788ZjBlUZaNjMGEwDgYDVR0PAQH/BAQDAgEGMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFP9CMrpofas6cK/cDNQa4j6Hj2ZlMB8GA1UdIwQYMBaAFP9CMrpofas6cK/cDNQa4j6Hj2ZlMAoGCCqGSM49BAMDA2kAMGYCMQD+kojuzMwztNay9Ibzjuk//ZL5m6T2OCsm45l1lY004pcb984L926BowodoirFMcMCMQDIJtFHhP/1D3a+M3dAGomOb6O4CmTry3TTPbPsAFnv22YA0Y+P21NVoxKDjdu0tkw="
          }
        ]
      },
      "validFor": {
        "start": "2022-04-14T21:38:40Z"
      }
    }
  ],
  "ctlogs": [
    {
      "baseUrl": "https://ctfe.sigstage.dev/test",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MIICCgKCAgEA27A2MPQXm0I0v7/Ly5BIauDjRZF5Jor9vU+QheoE2UIIsZHcyYq3slHzSSHy2lLj1ZD2d91CtJ492ZXqnBmsr4TwZ9jQ05tW2mGIRI8u2DqN8LpuNYZGz/f9SZrjhQQmUttqWmtu3UoLfKz6NbNXUnoo+NhZFcFRLXJ8VporVhuiAmL7zqT53cXR3yQfFPCUDeGnRksnlhVIAJc3AHZZSHQJ8DEXMhh35TVv2nYhTI3rID7GwjXXw4ocz7RGDD37ky6p39Tl5NB71gT1eSqhZhGHEYHIPXraEBd5+3w9qIuLWlp5Ej/K6Mu4ELioXKCUimCbwy+Cs8UhHFlqcyg4AysOHJwIadXIa8LsY51jnVSGrGOEBZevopmQPNPtyfFY3dmXSS+6Z3RD2Gd6oDnNGJzpSyEk410Ag5uvNDfYzJLCWX9tU8lIxNwdFYmIwpd89HijyRyoGnoJ3entd63cvKfuuix5r+GHyKp1Xm1L5j5AWM6P+z0xigwkiXnt+adexAl1J9wdDxv/pUFEESRF4DG8DFGVtbdH6aR1A5/vD4krO4tC1QYUSeyL5Mvsw8WRqIFHcXtgybtxylljvNcGMV1KXQC8UFDmpGZVDSHx6v3e/BHMrZ7gjoCCfVMZ/cFcQi0W2AIHPYEMH/C95J2r4XbHMRdYXpovpOoT5Ca78gsCAwEAAQ==",
        "keyDetails": "PKCS1_RSA_PKCS1V5",
        "validFor": {
          "start": "2021-03-14T00:00:00Z",
          "end": "2022-07-31T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "G3wUKk6ZK6ffHh/FdCRUE2wVekyzHEEIpSG4savnv0w="
      }
    },
    {
      "baseUrl": "https://ctfe.sigstage.dev/2022",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEh99xuRi6slBFd8VUJoK/rLigy4bYeSYWO/fE6Br7r0D8NpMI94+A63LR/WvLxpUUGBpY8IJA3iU2telag5CRpA==",
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {
          "start": "2022-07-01T00:00:00Z",
          "end": "2022-07-31T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "++JKOMQt7SJ3ynUHnCfnDhcKP8/58J4TueMqXuk3HmA="
      }
    },
    {
      "baseUrl": "https://ctfe.sigstage.dev/2022-2",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8gEDKNme8AnXuPBgHjrtXdS6miHqc24CRblNEOFpiJRngeq8Ko73Y+K18yRYVf1DXD4AVLwvKyzdNdl5n0jUSQ==",
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {
          "start": "2022-07-01T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "KzC83GiIyeLh2CYpXnQfSDkxlgLynDPLXkNA/rKshno="
      }
    },
    {
      "baseUrl": "https://log2026-1.ctfe.sigstage.dev",
      "hashAlgorithm":"SHA2_256",
      "publicKey": {
        "rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEv8+Fp+klTMlOd0FU+eekotPzlaF9orvv9ZgdLXq5+MmoGThLNigXIapXjW0lujsU6+ZHKZ6UPzSuz+V8YxLoQw==",
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {
          "start": "2026-01-14T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "PmBxU3RuGJLgkLI2sUl2Jy9ntE1vks5vdxFKtyKgprY="
      }
    }
  ],
  "timestampAuthorities": [
    {
      "subject": {
        "organization": "sigstore.dev",
        "commonName": "sigstore-tsa-selfsigned"
      },
      "uri": "https://timestamp.sigstage.dev/api/v1/timestamp",
      "certChain": {
        "certificates": [
          {
            "rawBytes": "MIICDzCCAZagAwIBAgIUCjWhBmHV4kFzxomWp/J98n4DfKcwCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTAzMjgwOTE0MDZaFw0zNTAzMjYwODE0MDZaMC4xFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEVMBMGA1UEAxMMc2lnc3RvcmUtdHNhMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEx1v5F3HpD9egHuknpBFlRz7QBRDJu4aeVzt9zJLRY0lvmx1lF7WBM2c9AN8ZGPQsmDqHlJN2R/7+RxLkvlLzkc19IOx38t7mGGEcB7agUDdCF/Ky3RTLSK0Xo/0AgHQdo2owaDAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFKj8ZPYo3i7mO3NPVIxSxOGc3VOlMB8GA1UdIwQYMBaAFDsgRlletTJNRzDObmPuc3RH8gR9MBYGA1UdJQEB/wQMMAoGCCsGAQUFBwMIMAoGCCqGSM49BAMDA2cAMGQCMESvVS6GGtF33+J19TfwENWJXjRv4i0/HQFwLUSkX6TfV7g0nG8VnqNHJLvEpAtOjQIwUD3uywTXorQP1DgbV09rF9Yen+CEqs/iEpieJWPst280SSOZ5Na+dyPVk9/8SFk6"
          },
          {
            "rawBytes": "MIIB9zCCAXygAwIBAgIUCPExEFKiQh0dP4sp5ltmSYSSkFUwCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTAzMjgwOTE0MDZaFw0zNTAzMjYwODE0MDZaMDkxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEgMB4GA1UEAxMXc2lnc3RvcmUtdHNhLXNlbGZzaWduZWQwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAATt0tIDWyo4ARfL9BaSo0W5bJQEbKJTU/u7llvdjSI5aTkOAJa8tixn2+LEfPG4dMFdsMPtsIuU1qn2OqFiuMk6vHv/c+az25RQVY1oo50iMb0jIL3N4FgwhPFpZnCbQPOjRTBDMA4GA1UdDwEB/wQEAwIBBjASBgNVHRMBAf8ECDAGAQH/AgEAMB0GA1UdDgQWBBQ7IEZZXrUyTUcwzm5j7nN0R/IEfTAKBggqhkjOPQQDAwNpADBmAjEA2MI1VXgbf3dUOSc95hSRypBKOab18eh2xzQtxUsHvWeY+1iFgyMluUuNR6taoSmFAjEA31m2czguZhKYX+4JSKu5pRYhBTXAd8KKQ3xdPRX/qCaLvT2qJAEQ1YQM3EJRrtI7"
          }
        ]
      },
      "validFor": {
        "start": "2025-04-09T00:00:00Z"
      }
    }
  ]
}
`;
