// build.mjs bundles src/map.js into ../static/assets/vendor/ (map.js,
// map.css, images/), which web/web.go embeds, so running Shaobao needs no
// Node. The output is committed; check.sh rebuilds it and fails on any
// difference, so the same sources must always give the same bytes: no
// hashes of paths, no timestamps, no source maps with absolute paths.
import { build } from 'esbuild';
import { readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'static', 'assets', 'vendor');

// A stale file (an image Leaflet no longer ships) must not linger.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: here,
  entryPoints: { map: 'src/map.js' },
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome80', 'safari13'],
  minify: true,
  legalComments: 'eof', // Leaflet's BSD-2-Clause notice stays in the bundle
  charset: 'utf8',
  outdir: out,
  // Unhashed names: Leaflet finds its marker images from the stylesheet's
  // url(.../marker-icon.png), and a reader sees what each file is.
  assetNames: 'images/[name]',
  loader: { '.png': 'file', '.svg': 'file' },
  logLevel: 'warning',
});

const leaflet = JSON.parse(readFileSync(join(here, 'node_modules', 'leaflet', 'package.json'), 'utf8'));
writeFileSync(join(out, 'README.md'), `# vendor (generated, do not edit)

Built by \`web/map\` (\`npm ci && npm run build\`) from Leaflet ${leaflet.version}
(${leaflet.license}); \`web/map/check.sh\` fails when these files differ from
what the pinned sources build.
`);
