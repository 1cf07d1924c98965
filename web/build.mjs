// Builds the web app into dist/: one hashed JavaScript bundle and one
// hashed stylesheet under dist/assets/, index.html pointing at them, the
// images, and manifest.json whose source_sha256 lets a Go test (no Node)
// tell that dist/ is stale. Run: npm run build (from web/).

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/**
 * sourceDigest hashes every input of the build: src/**, package-lock.json
 * and this script. The same recipe is in web/manifest_test.go: lines of
 * "<sha256 hex of the file>  <path relative to web/, with />\n", sorted
 * by path (byte order), hashed with SHA-256.
 */
export function sourceDigest() {
  const files = [...walk(join(root, 'src')), join(root, 'package-lock.json'), join(root, 'build.mjs')];
  const rels = files.map((f) => relative(root, f).split(sep).join('/'));
  rels.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : Buffer.from(a) > Buffer.from(b) ? 1 : 0));
  const lines = rels.map((rel) => {
    const sum = createHash('sha256').update(readFileSync(join(root, rel))).digest('hex');
    return `${sum}  ${rel}\n`;
  });
  return createHash('sha256').update(lines.join('')).digest('hex');
}

async function main() {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(join(dist, 'assets'), { recursive: true });

  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'src/main.js' },
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    charset: 'utf8',
    legalComments: 'linked',
    outdir: 'dist/assets',
    entryNames: '[name].[hash]',
    assetNames: '[name].[hash]',
    metafile: true,
    logLevel: 'warning',
  });

  let js = null;
  let css = null;
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint === 'src/main.js' && out.endsWith('.js')) {
      js = out;
      css = meta.cssBundle || null;
    }
  }
  if (!js || !css) throw new Error('build: esbuild produced no app bundle and stylesheet');
  const url = (p) => `/${relative('dist', p).split(sep).join('/')}`;

  const html = readFileSync(join(root, 'src/index.html'), 'utf8')
    .replace('{{APP_JS}}', url(js))
    .replace('{{APP_CSS}}', url(css));
  writeFileSync(join(dist, 'index.html'), html);
  cpSync(join(root, 'src/images'), join(dist, 'images'), { recursive: true });

  const files = walk(dist).map((f) => relative(dist, f).split(sep).join('/')).sort();
  const manifest = {
    source_sha256: sourceDigest(),
    app_js: url(js),
    app_css: url(css),
    files,
  };
  writeFileSync(join(dist, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const f of files) {
    const size = readFileSync(join(dist, f)).length;
    console.log(`${String(size).padStart(9)}  dist/${f}`);
  }
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
