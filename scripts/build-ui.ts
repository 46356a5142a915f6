// Builds the dashboard (src/ui) into src/ui/public: index.html, app.js, app.css, and gzip and
// brotli copies the server sends to browsers that accept them. The output is committed, so
// installing the service needs no build step; test/ui/bundle.test.ts fails when it is older
// than its sources. Usage: npm run build:ui
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const UI_SOURCE = fileURLToPath(new URL('../src/ui/', import.meta.url));
export const UI_PUBLIC = join(UI_SOURCE, 'public');
export const UI_FILES = ['index.html', 'app.js', 'app.css'] as const;
/** The one page: the bundle renders everything into #app. */
const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Fewshot</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="app.css" />
    <script type="module" src="app.js"></script>
  </head>
  <body>
    <div id="app"></div>
  </body>
</html>
`;

/** Compressed copies beside each file, as @fastify/static's preCompressed option looks for them. */
export const COMPRESSED = {
  gz: (bytes: Buffer) => gzipSync(bytes, { level: 9 }),
  br: (bytes: Buffer) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
};

export async function buildUi(outDir = UI_PUBLIC): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(UI_SOURCE, 'main.tsx') },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    logLevel: 'warning',
  });
  await writeFile(join(outDir, 'index.html'), INDEX_HTML);
  for (const file of UI_FILES) {
    const bytes = await readFile(join(outDir, file));
    for (const [ext, compress] of Object.entries(COMPRESSED)) await writeFile(join(outDir, `${file}.${ext}`), compress(bytes));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildUi();
