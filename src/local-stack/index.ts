/**
 * The local Sigstore stack, for tests and the demo. Not part of the package's public entry point:
 * it depends on @sigstore/mock, a devDependency.
 */
export { startLocalSigstore, type LocalSigstore, type LocalSigstoreOptions } from './stack.js';
export { startLocalOidcProvider, DEFAULT_LOCAL_SUBJECT, type LocalOidcProvider, type LocalOidcProviderOptions } from './oidc-provider.js';
export { TRUSTED_ROOT_MEDIA_TYPE, type JsonDocument } from './trust-material.js';
