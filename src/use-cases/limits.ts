/** Size limits of the small files a user names on the command line (a PEM file is kilobytes). */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;
export const MAX_SIGNING_CONFIG_BYTES = 1024 * 1024;
export const MAX_HYPERPARAMETERS_BYTES = 16 * 1024 * 1024;
/**
 * A part or a merged manifest lists resources with their digests and sizes: about 190 bytes each,
 * so 256 MiB holds well over a million files.
 */
export const MAX_PART_FILE_BYTES = 256 * 1024 * 1024;
export const MAX_MANIFEST_FILE_BYTES = 256 * 1024 * 1024;
