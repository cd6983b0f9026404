/** Where the configuration is read from when neither --config nor KEEPSAKE_CONFIG names it. */
export const DEFAULT_CONFIG = '/etc/keepsake/config.yaml';
