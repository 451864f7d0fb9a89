/**
 * Keyless signing of a DSSE payload or of an artifact's bytes: an ephemeral P-256 key, a short-lived Fulcio certificate
 * binding it to the signer's OIDC identity, a Rekor entry and, optionally, an RFC 3161 timestamp,
 * packaged as a Sigstore bundle v0.3 (`application/vnd.dev.sigstore.bundle.v0.3+json`).
 *
 * The services are inputs (URLs, or a SigningConfig v0.2 parsed by `loadSigningConfig`); nothing
 * is fetched implicitly. Errors of @sigstore/sign are re-coded here: its messages can contain the
 * identity token (IDENTITY_TOKEN_PARSE_ERROR embeds it), so no message or cause of ours carries
 * one of its errors verbatim.
 */
import { bundleToJSON, type Bundle, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, FulcioSigner, InternalError as SigstoreInternalError, MessageSignatureBundleBuilder, RekorWitness, TSAWitness, type Witness } from '@sigstore/sign';
import { z } from 'zod';
import { InputError, InternalError, IOError, type AiprovError } from '../errors.js';
import { issueMessage, ProblemsError } from '../input/problem.js';
import { parseIdentityToken } from './identity/jwt.js';
import { PUBLIC_GOOD_OIDC_ISSUER, STAGING_OIDC_ISSUER } from './identity/providers.js';
import { networkReason } from './network-error.js';

export type { SerializedBundle };

export type RekorApiVersion = 1 | 2;

/** The services one keyless signature uses. */
export interface SigningServices {
  /** Fulcio base URL. */
  readonly fulcioUrl: string;
  /** Rekor base URL. */
  readonly rekorUrl: string;
  /** Rekor API major version: 1 (`/api/v1/log/entries`, dsse 0.0.1) or 2 (rekor-tiles, dsse 0.0.2). */
  readonly rekorApiVersion?: RekorApiVersion;
  /** A TSA's full endpoint (`…/api/v1/timestamp`); required with Rekor v2. */
  readonly tsaUrl?: string;
  /** The OIDC issuer for interactive sign-in, when the configuration names one. */
  readonly oidcIssuer?: string;
}

export interface KeylessSigningOptions extends SigningServices {
  readonly payload: Buffer;
  readonly payloadType: string;
  /** OIDC identity token (a JWT). Never logged, never part of an error. */
  readonly identityToken: string;
  /** Per-request timeout. Default 30 s (Rekor v2 may take ~20 s to integrate an entry). */
  readonly fetchTimeoutMs?: number;
  /** Retries of a failed request (network errors, 408, 429, 5xx). Default 2. */
  readonly retries?: number;
}

/** The public-good instance (the trust root shipped in @sigstore/tuf's seeds). */
export const PUBLIC_GOOD_SERVICES: SigningServices = {
  fulcioUrl: 'https://fulcio.sigstore.dev',
  rekorUrl: 'https://rekor.sigstore.dev',
  rekorApiVersion: 1,
  tsaUrl: 'https://timestamp.sigstore.dev/api/v1/timestamp',
  oidcIssuer: PUBLIC_GOOD_OIDC_ISSUER,
};

/** Sigstore's staging instance (`--staging`); its trust root is not embedded, pass it explicitly. */
export const STAGING_SERVICES: SigningServices = {
  fulcioUrl: 'https://fulcio.sigstage.dev',
  rekorUrl: 'https://rekor.sigstage.dev',
  rekorApiVersion: 1,
  tsaUrl: 'https://timestamp.sigstage.dev/api/v1/timestamp',
  oidcIssuer: STAGING_OIDC_ISSUER,
};

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 2;

/**
 * Signs `payload` as a DSSE envelope (the signature covers PAE(payloadType, payload)) and returns
 * the bundle as its JSON object, ready to be written.
 */
export async function signDsseKeyless(options: KeylessSigningOptions): Promise<SerializedBundle> {
  return signKeyless(options, 'dsse', (signer, witnesses) => new DSSEBundleBuilder({ signer, witnesses }).create({ data: options.payload, type: options.payloadType }));
}

/**
 * Signs an artifact's bytes as a message signature (a `hashedrekord` Rekor entry): the form
 * `cosign sign-blob` and the Sigstore conformance suite's `sign-bundle` produce.
 */
export async function signMessageKeyless(options: Omit<KeylessSigningOptions, 'payload' | 'payloadType'> & { readonly artifact: Buffer }): Promise<SerializedBundle> {
  return signKeyless(options, undefined, (signer, witnesses) => new MessageSignatureBundleBuilder({ signer, witnesses }).create({ data: options.artifact }));
}

async function signKeyless(options: SigningServices & { readonly identityToken: string; readonly fetchTimeoutMs?: number; readonly retries?: number }, entryType: 'dsse' | undefined, build: (signer: FulcioSigner, witnesses: Witness[]) => Promise<Bundle>): Promise<SerializedBundle> {
  // Fail on a malformed token before any request, with a message that does not echo it.
  parseIdentityToken(options.identityToken);
  const rekorApiVersion = options.rekorApiVersion ?? 1;
  if (rekorApiVersion === 2 && options.tsaUrl === undefined) {
    // A Rekor v2 entry has no signed entry timestamp, so without a TSA the bundle would hold no
    // verified time at which to check the short-lived certificate.
    throw new InputError('TIMESTAMP_AUTHORITY_REQUIRED', 'signing with Rekor v2 needs a timestamp authority (--tsa-url)');
  }
  const fulcioUrl = serviceUrl(options.fulcioUrl, 'Fulcio');
  const rekorUrl = serviceUrl(options.rekorUrl, 'Rekor');
  const tsaUrl = options.tsaUrl === undefined ? undefined : serviceUrl(options.tsaUrl, 'TSA');

  const timeout = options.fetchTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retry = { retries: options.retries ?? DEFAULT_RETRIES };
  const token = options.identityToken;
  const signer = new FulcioSigner({
    fulcioBaseURL: fulcioUrl,
    identityProvider: { getToken: () => Promise.resolve(token) },
    timeout,
    retry,
  });
  const witnesses: Witness[] = [
    new RekorWitness({ rekorBaseURL: rekorUrl, majorApiVersion: rekorApiVersion, ...(entryType === undefined ? {} : { entryType }), timeout, retry }),
  ];
  if (tsaUrl !== undefined) witnesses.push(new TSAWitness({ tsaBaseURL: tsaUrl, timeout, retry }));

  let bundle;
  try {
    bundle = await build(signer, witnesses);
  } catch (error) {
    throw recode(error, { fulcioUrl, rekorUrl, tsaUrl }, token);
  }
  return bundleToJSON(bundle);
}

const ServiceSchema = z.object({
  url: z.string().min(1),
  majorApiVersion: z.number().int().nonnegative(),
  validFor: z.object({ start: z.string().optional(), end: z.string().optional() }).optional(),
  operator: z.string().optional(),
});
type Service = z.infer<typeof ServiceSchema>;

const SelectorSchema = z.object({ selector: z.string(), count: z.number().int().optional() }).optional();

/** protobuf JSON of `dev.sigstore.trustroot.v1.SigningConfig`; unknown fields are tolerated (proto3 JSON). */
const SigningConfigSchema = z.object({
  mediaType: z.string(),
  caUrls: z.array(ServiceSchema).default([]),
  oidcUrls: z.array(ServiceSchema).default([]),
  rekorTlogUrls: z.array(ServiceSchema).default([]),
  rekorTlogConfig: SelectorSchema,
  tsaUrls: z.array(ServiceSchema).default([]),
  tsaConfig: SelectorSchema,
});

export const SIGNING_CONFIG_V02_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/** The highest API major version of each service @sigstore/sign 5 speaks (its config.ts). */
const MAX_API_VERSION = { ca: 1, tlog: 2, tsa: 1, oidc: 1 } as const;

/**
 * Picks the services of a SigningConfig v0.2 the way the spec (protobuf-specs
 * sigstore_trustroot.proto, `SigningConfig`) and @sigstore/sign 5 do: among the services whose API
 * version the client supports and whose `validFor` contains `now`, the one with the latest start.
 * For Rekor that may be a v1 or a v2 log. Selectors other than ANY (use one) are refused, as
 * @sigstore/sign refuses them: ALL or EXACT would demand entries in several logs.
 */
export function loadSigningConfig(json: unknown, options: { readonly now?: Date } = {}): SigningServices {
  const now = options.now ?? new Date();
  const parsed = SigningConfigSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { code: 'SIGNING_CONFIG_INVALID', source: 'the signing config', schema: SigningConfigSchema });
  const config = parsed.data;
  if (config.mediaType !== SIGNING_CONFIG_V02_MEDIA_TYPE) {
    throw new InputError('SIGNING_CONFIG_INVALID', `unsupported signing config media type ${JSON.stringify(config.mediaType)} (expected ${SIGNING_CONFIG_V02_MEDIA_TYPE})`);
  }
  for (const [name, selector] of [
    ['rekorTlogConfig', config.rekorTlogConfig],
    ['tsaConfig', config.tsaConfig],
  ] as const) {
    if (selector !== undefined && selector.selector !== 'ANY') {
      throw new InputError('SIGNING_CONFIG_UNSUPPORTED', `signing config ${name}.selector ${selector.selector} is not supported (only ANY)`);
    }
  }

  const ca = select(config.caUrls, MAX_API_VERSION.ca, now);
  if (ca === undefined) throw new InputError('SIGNING_CONFIG_UNSUPPORTED', 'the signing config lists no usable Fulcio (caUrls)');
  const tlog = select(config.rekorTlogUrls, MAX_API_VERSION.tlog, now);
  if (tlog === undefined) throw new InputError('SIGNING_CONFIG_UNSUPPORTED', 'the signing config lists no usable Rekor (rekorTlogUrls)');
  const tsa = select(config.tsaUrls, MAX_API_VERSION.tsa, now);
  const oidc = select(config.oidcUrls, MAX_API_VERSION.oidc, now);
  const rekorApiVersion: RekorApiVersion = tlog.majorApiVersion === 2 ? 2 : 1;
  if (rekorApiVersion === 2 && tsa === undefined) {
    throw new InputError('SIGNING_CONFIG_UNSUPPORTED', 'the signing config selects Rekor v2 but lists no usable timestamp authority');
  }
  return {
    fulcioUrl: ca.url,
    rekorUrl: tlog.url,
    rekorApiVersion,
    ...(tsa === undefined ? {} : { tsaUrl: tsa.url }),
    ...(oidc === undefined ? {} : { oidcIssuer: oidc.url }),
  };
}

function select(services: readonly Service[], maxApiVersion: number, now: Date): Service | undefined {
  const startOf = (service: Service): number => (service.validFor?.start === undefined ? 0 : Date.parse(service.validFor.start));
  const usable = services.filter((service) => {
    if (service.majorApiVersion < 1 || service.majorApiVersion > maxApiVersion) return false;
    const start = startOf(service);
    const end = service.validFor?.end === undefined ? Infinity : Date.parse(service.validFor.end);
    return !Number.isNaN(start) && !Number.isNaN(end) && start <= now.getTime() && now.getTime() < end;
  });
  return usable.sort((a, b) => startOf(b) - startOf(a))[0];
}

function serviceUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError('SIGNING_SERVICE_URL_INVALID', `the ${name} URL ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError('SIGNING_SERVICE_URL_INVALID', `the ${name} URL must be http(s), not ${url.protocol}`);
  }
  // @sigstore/sign appends API paths to base URLs: drop a trailing slash.
  return value.replace(/\/+$/, '');
}

type ServiceName = 'Fulcio' | 'Rekor' | 'TSA';

/** @sigstore/sign's error codes, mapped to the service that failed. */
const SERVICE_OF_CODE: Readonly<Record<string, ServiceName>> = {
  CA_CREATE_SIGNING_CERTIFICATE_ERROR: 'Fulcio',
  TLOG_CREATE_ENTRY_ERROR: 'Rekor',
  TLOG_FETCH_ENTRY_ERROR: 'Rekor',
  TSA_CREATE_TIMESTAMP_ERROR: 'TSA',
};

/**
 * Turns what @sigstore/sign threw into one aiprov error. Only facts we produce go into the message
 * (service name, URL, HTTP status, errno); the library's own messages and causes are dropped
 * unless they provably do not contain the token.
 */
function recode(error: unknown, urls: { fulcioUrl: string; rekorUrl: string; tsaUrl: string | undefined }, token: string): AiprovError {
  if (!(error instanceof SigstoreInternalError)) {
    return new InternalError('KEYLESS_SIGNING_FAILED', 'keyless signing failed unexpectedly', safeCause(error, token));
  }
  if (error.code === 'IDENTITY_TOKEN_PARSE_ERROR' || error.code === 'IDENTITY_TOKEN_READ_ERROR') {
    return new InputError('IDENTITY_TOKEN_INVALID', 'the identity token was refused by the signer: it names no usable subject (an "email" claim needs "email_verified": true)');
  }
  const service = SERVICE_OF_CODE[error.code];
  if (service === undefined) {
    return new InternalError('KEYLESS_SIGNING_FAILED', `keyless signing failed (${error.code})`, safeCause(error, token));
  }
  const url = service === 'Fulcio' ? urls.fulcioUrl : service === 'Rekor' ? urls.rekorUrl : (urls.tsaUrl ?? '');
  const cause: unknown = error.cause;
  const status = httpStatusOf(cause);
  if (status === undefined) {
    return new IOError('SIGNING_SERVICE_UNREACHABLE', `cannot reach ${service} at ${url}: ${networkReason(cause)}`, safeCause(cause, token));
  }
  if (service === 'Fulcio' && (status === 401 || status === 403)) {
    return new InputError('IDENTITY_TOKEN_REJECTED', `Fulcio at ${url} refused the identity token (HTTP ${status}): it may have expired or have the wrong audience`);
  }
  return new IOError('SIGNING_SERVICE_ERROR', `${service} at ${url} answered HTTP ${status}`, safeCause(cause, token));
}

/** @sigstore/sign's HTTPError carries `statusCode`; fetch failures (ECONNREFUSED, timeouts) do not. */
function httpStatusOf(cause: unknown): number | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const status = (cause as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Keeps a cause for debugging only if nothing in its chain mentions the token. */
function safeCause(cause: unknown, token: string): { cause?: unknown } {
  let current: unknown = cause;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof Error) {
      if (current.message.includes(token) || (current.stack ?? '').includes(token)) return {};
      current = current.cause;
    } else {
      // Not an Error: keep strings that do not mention the token, drop anything opaque.
      if (typeof current !== 'string' || current.includes(token)) return {};
      break;
    }
  }
  return cause === undefined ? {} : { cause };
}
