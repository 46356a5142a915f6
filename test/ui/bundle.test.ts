// The dashboard ships as a committed bundle (src/ui/public), so installing needs no build step:
// it must be exactly what `npm run build:ui` makes from src/ui today. Prints its size.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { buildUi, UI_FILES, UI_PUBLIC } from '../../scripts/build-ui.js';

test('src/ui/public is the build of src/ui (run `npm run build:ui` after changing the dashboard)', async () => {
  const out = await mkdtemp(join(tmpdir(), 'fewshot-ui-'));
  try {
    await buildUi(out);
    const size = { raw: 0, gz: 0, br: 0 };
    for (const file of UI_FILES) {
      const [built, committed] = await Promise.all([readFile(join(out, file)), readFile(join(UI_PUBLIC, file))]);
      assert.ok(built.equals(committed), `src/ui/public/${file} is stale: run npm run build:ui`);
      // Compressors may differ between Node versions: the copies must only hold the same bytes.
      const [gz, br] = await Promise.all([readFile(join(UI_PUBLIC, `${file}.gz`)), readFile(join(UI_PUBLIC, `${file}.br`))]);
      assert.ok(gunzipSync(gz).equals(committed) && brotliDecompressSync(br).equals(committed), `src/ui/public/${file}.gz/.br are stale`);
      size.raw += committed.length;
      size.gz += gz.length;
      size.br += br.length;
    }
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log(`# dashboard bundle (${UI_FILES.join(' + ')}): ${kib(size.raw)} raw, ${kib(size.gz)} gzipped, ${kib(size.br)} brotli`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
