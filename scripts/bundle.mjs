// The boot bundle: one file with keepsake's CLI and its dependencies, for early boot where
// module resolution over node_modules is slow. The native addon stays a separate file.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/keepsake.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  banner: {
    js: "import { createRequire as __ksRequire } from 'node:module'; const require = __ksRequire(import.meta.url);",
  },
  footer: {
    js: 'if (process.env.KEEPSAKE_BUNDLE_MAIN !== "0") process.exit(await main(process.argv));',
  },
  logLevel: 'warning',
});
