/** Size limits of the small files a user names on the command line (a PEM file is kilobytes). */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;
export const MAX_SIGNING_CONFIG_BYTES = 1024 * 1024;
export const MAX_HYPERPARAMETERS_BYTES = 16 * 1024 * 1024;
