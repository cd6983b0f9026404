import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;

declare const __KEEPSAKE_BUILD__: string | undefined;

/**
 * Which build of keepsake this is: a digest of its sources, set by the bundler
 * (scripts/bundle.mjs), so that records only this build's planner may vouch for (the settled
 * record) are not believed by another build of the same version. `unbundled` when run from
 * the compiled modules.
 */
export const BUILD: string =
  typeof __KEEPSAKE_BUILD__ === 'string' ? __KEEPSAKE_BUILD__ : 'unbundled';
