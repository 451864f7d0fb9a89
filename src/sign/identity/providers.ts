/** Sigstore's OIDC issuers, and how long any OIDC endpoint may take to answer. */

export const PUBLIC_GOOD_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';
export const STAGING_OIDC_ISSUER = 'https://oauth2.sigstage.dev/auth';

/** Per request to GitHub Actions' token endpoint or an OIDC provider. */
export const OIDC_REQUEST_TIMEOUT_MS = 30_000;
