/**
 * The local Sigstore stack, for tests and the demo. Not part of the package: it depends on
 * @sigstore/mock, a devDependency, so it lives outside `src/` and imports nothing from it.
 */
export { startLocalSigstore, type LocalSigstore } from './stack.js';
export { startLocalOidcProvider, type LocalOidcProvider } from './oidc-provider.js';
export { SIGNING_CONFIG_V02_MEDIA_TYPE, TRUSTED_ROOT_MEDIA_TYPE } from './trust-material.js';
export { LocalStackError } from './errors.js';
