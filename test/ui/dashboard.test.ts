// The dashboard in a real browser (Debian's Chromium through playwright-core) against a live
// service with a real worker: a job followed from queued to completed, live curves and cancel,
// the model card, a dataset, "Try it" with uploaded images, the queue board, the API-key prompt,
// and the first load's timing. Screenshots of every page go to test-artifacts/ui/.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import supertest from 'supertest';
import { Random } from '../../src/core/random.js';
import { createLogger } from '../../src/service/logger.js';
import { startTrainWorker, type TrainWorker } from '../../src/service/queue/worker.js';
import { REDIS_URL, testEnv, uploadClusters, waitFor, type TestEnv } from '../service/helpers.js';
import { ARTIFACTS, classImage, dataUrl, launchChromium, newContext, screenshotPath, serve, TENANT, type Served } from './harness.js';

const launched = await launchChromium();
const skip = typeof launched === 'string' ? `no browser: ${launched}` : false;
if (skip) console.log(`# browser tests skipped: ${launched}`);

/** Generous: a shared 2-core machine may be slow; nothing here asserts speed. */
const LONG = 180_000;
const WAYS = 3;

const vectorJob = (datasetId: string, iterations: number) => ({
  datasetId,
  algorithm: 'protonet',
  model: { hidden: [32] },
  episode: { ways: WAYS, shots: 2, queries: 2 },
  outer: { iterations, metaBatchSize: 2 },
  validation: { every: 10, episodes: 4 },
  checkpointEvery: 10,
  evaluation: { episodes: 8, baselines: true },
  split: { train: 0.5, validation: 0.25, test: 0.25 },
});
// Convolutions are slow on the cpu backend: the image model skips the baselines' training.
const imageJob = (datasetId: string) => ({
  ...vectorJob(datasetId, 30),
  model: { filters: 8 },
  evaluation: { episodes: 4, baselines: false },
});

/** Records, in the page, every distinct value `read` gives as the DOM changes. */
async function record(page: Page, name: string, read: string): Promise<void> {
  await page.evaluate(
    ([name, read]) => {
      const seen: string[] = [];
      (window as unknown as Record<string, string[]>)[name] = seen;
      const value = new Function(`return (${read})`) as () => string | null | undefined;
      const look = () => {
        const v = value();
        if (v !== null && v !== undefined && seen.at(-1) !== v) seen.push(v);
      };
      look();
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    },
    [name, read],
  );
}
const recorded = (page: Page, name: string) => page.evaluate((name) => (window as unknown as Record<string, string[]>)[name], name);

describe('the dashboard in Chromium', { skip }, () => {
  let browser: Browser;
  let env: TestEnv;
  let served: Served;
  let api: ReturnType<typeof supertest.agent>;
  let worker: TrainWorker | null = null;
  let context: BrowserContext;
  let page: Page;
  let imagesId: string;
  let clustersId: string;
  let modelId: string;
  const rng = new Random(11);

  before(async () => {
    browser = launched as Browser;
    env = await testEnv();
    served = await serve(env.config);
    api = supertest.agent(served.url).set('authorization', `Bearer ${served.adminKey}`);
    // 12 classes of 16×16 squares, 6 images each.
    const examples = [];
    for (let c = 0; c < 12; c++) for (let i = 0; i < 6; i++) examples.push({ label: `square-${c}`, image: dataUrl(await classImage(c, rng)) });
    imagesId = (await api.post('/v1/datasets?imageSize=16&channels=1').send({ name: 'squares', examples }).expect(201)).body.id;
    clustersId = await uploadClusters(api, { classes: 12, perClass: 8, dim: 8, noise: 1, seed: 5 });
    context = await newContext(browser, { acceptDownloads: true, key: served.adminKey });
    page = await context.newPage();
    page.setDefaultTimeout(LONG);
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await worker?.close();
    await served?.close();
    await env?.cleanup();
  });

  test('a job followed from queued to completed: live status, and curves with the points the API has', async () => {
    const { body } = await api.post('/v1/jobs').send(vectorJob(clustersId, 30)).expect(202);
    await page.goto(`${served.url}/ui/#/jobs`);
    await page.locator(`tr[data-job="${body.id}"] [data-status="queued"]`).waitFor();
    await page.screenshot({ path: await screenshotPath('jobs-queued') });

    await page.click(`tr[data-job="${body.id}"] a[href="#/jobs/${body.id}"]`);
    await page.locator('h1 [data-status="queued"]').waitFor();
    await record(page, 'statuses', `document.querySelector('h1 [data-status]')?.dataset.status`);
    await record(page, 'lossPoints', `document.querySelector('[data-chart="loss"]')?.dataset.points`);

    // No worker until the page shows the job queued: then one starts and takes it.
    worker = startTrainWorker(env.config, REDIS_URL, createLogger(env.config.logLevel, 'test-worker'));
    await page.locator('h1 [data-status="completed"]').waitFor();
    assert.deepEqual(await recorded(page, 'statuses'), ['queued', 'running', 'completed']);

    const points = (await api.get(`/v1/jobs/${body.id}/metrics`).expect(200)).body.points.filter((p: { phase: string }) => p.phase === 'meta-training');
    assert.equal(points.length, 30);
    await page.locator(`[data-chart="loss"][data-points="${points.length}"]`).waitFor();
    await page.locator(`[data-chart="accuracy"][data-points="${points.length}"]`).waitFor();
    const shownCounts = (await recorded(page, 'lossPoints')).map(Number);
    assert.ok(shownCounts.length >= 2 && shownCounts.every((n, i) => i === 0 || n > shownCounts[i - 1]), `curve grew: ${shownCounts}`);

    const facts = await page.locator('.facts').allInnerTexts();
    assert.match(facts.join('\n'), /Backend\s+cpu/);
    assert.match(facts.join('\n'), /Checkpoints\s+10, 20, 30/);
    assert.match(facts.join('\n'), /Attempts\s+1/);
    await page.screenshot({ path: await screenshotPath('job-page'), fullPage: true });

    const job = (await api.get(`/v1/jobs/${body.id}`).expect(200)).body;
    assert.equal(job.status, 'completed');
    modelId = job.modelId;
    await page.goto(`${served.url}/ui/#/jobs`);
    await page.locator(`tr[data-job="${body.id}"] [data-status="completed"]`).waitFor();
    await page.screenshot({ path: await screenshotPath('jobs') });
  });

  test('the jobs table follows a running job live, its page shows the curve growing, and it cancels', async () => {
    const { body } = await api.post('/v1/jobs').send(vectorJob(clustersId, 20_000)).expect(202);
    await page.goto(`${served.url}/ui/#/jobs?status=running`);
    const row = page.locator(`tr[data-job="${body.id}"]`);
    await row.locator('[data-status="running"]').waitFor();
    // The progress text moves without reloading the page.
    const first = await row.locator('.progress span').innerText();
    await waitFor(() => row.locator('.progress span').innerText(), (text) => text !== first, LONG, 'live progress');
    await page.screenshot({ path: await screenshotPath('jobs-running') });

    await row.locator(`a[href="#/jobs/${body.id}"]`).click();
    const chart = page.locator('[data-chart="loss"]');
    const count = async () => Number(await chart.getAttribute('data-points'));
    const early = await waitFor(count, (n) => n >= 3, LONG, 'points on the curve');
    await waitFor(count, (n) => n >= early + 3, LONG, 'the curve to grow');

    await page.goto(`${served.url}/ui/#/jobs`);
    await row.locator('button', { hasText: 'Cancel' }).click();
    await row.locator('[data-status="cancelled"]').waitFor();
    assert.equal((await api.get(`/v1/jobs/${body.id}`).expect(200)).body.status, 'cancelled');
  });

  test('the model card: accuracy against both baselines and chance, configuration, manifest download', async () => {
    const model = (await api.get(`/v1/models/${modelId}`).expect(200)).body;
    await page.goto(`${served.url}/ui/#/models`);
    await page.locator(`tr[data-model="${modelId}"]`).waitFor();
    await page.screenshot({ path: await screenshotPath('models') });

    await page.goto(`${served.url}/ui/#/models/${modelId}`);
    const table = page.locator('[data-evaluation]');
    await table.waitFor();
    const rows = await table.locator('tr').allInnerTexts();
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    // An interval of width 0 (every episode scored the same) is shown as the mean alone.
    const shown = (a: { mean: number; ci95: number }) => (a.ci95 > 0 ? `${pct(a.mean)} ± ${pct(a.ci95)}` : pct(a.mean));
    const { accuracy, baselines } = model.evaluation;
    assert.deepEqual(
      rows.map((r) => r.replace(/\s+/g, ' ').trim()),
      [
        `protonet (meta-learned) ${shown(accuracy)}`,
        `pre-trained + fine-tuned ${shown(baselines.pretrained)}`,
        `from scratch ${shown(baselines.scratch)}`,
        `chance (1/${WAYS}) ${pct(1 / WAYS)}`,
      ],
    );
    await page.locator('[data-chart="accuracy-vs-baselines"] canvas').waitFor();
    assert.match(await page.locator('table.config').innerText(), /outer\.iterations\s+30/);
    await page.screenshot({ path: await screenshotPath('model-card'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download checkpoint manifest')]);
    assert.equal(download.suggestedFilename(), `${modelId}-manifest.json`);
    const saved = join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(saved);
    const manifest = JSON.parse(await readFile(saved, 'utf8'));
    assert.equal(manifest.format, 'fewshot-checkpoint/1');
    assert.deepEqual(manifest.evaluation, model.evaluation);
  });

  test('a dataset at a glance: counts, histogram of examples per class, split, thumbnails', async () => {
    await page.goto(`${served.url}/ui/#/datasets`);
    await page.locator(`tr[data-dataset="${imagesId}"]`).waitFor();
    await page.screenshot({ path: await screenshotPath('datasets') });

    await page.goto(`${served.url}/ui/#/datasets/${imagesId}`);
    await page.locator('.sample-class').first().waitFor();
    const facts = await page.locator('.facts').first().innerText();
    assert.match(facts, /Classes\s+12/);
    assert.match(facts, /Examples\s+72/);
    assert.match(facts, /Examples per class\s+6/);
    assert.match(facts, /image 16×16×1/);
    // Every class has 6 examples: one bar.
    await page.locator('[data-chart="examples-per-class"][data-points="1"]').waitFor();
    assert.equal(await page.locator('.sample-class').count(), 12);
    assert.equal(await page.locator('.sample-class img.thumb').count(), 12 * 4);
    assert.ok(await page.locator('.sample-class img.thumb').first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 16));
    await page.screenshot({ path: await screenshotPath('dataset'), fullPage: true });
  });

  test('try it: uploaded images are labelled as the API labels them; the adaptation is kept for more queries', async () => {
    const { body } = await api.post('/v1/jobs').send(imageJob(imagesId)).expect(202);
    const trained = await waitFor(() => api.get(`/v1/jobs/${body.id}`).then((r) => r.body), (j) => j.status !== 'queued' && j.status !== 'running', LONG, 'the image model');
    assert.equal(trained.status, 'completed', JSON.stringify(trained));
    const imageModel = trained.modelId as string;
    // Three classes the model never saw, two images each, and two queries of each.
    const unseen = [20, 21, 22];
    const support = await Promise.all(unseen.map((c) => Promise.all([0, 1].map(() => classImage(c, rng)))));
    const queries = await Promise.all(unseen.flatMap((c) => [0, 1].map(() => classImage(c, rng))));
    const file = (buffer: Buffer, name: string) => ({ name, mimeType: 'image/png', buffer });

    await page.goto(`${served.url}/ui/#/try?model=${imageModel}`);
    await page.locator('input[name="label-0"]').waitFor();
    await page.click('text=+ Add a class');
    for (const [i, c] of unseen.entries()) {
      await page.fill(`input[name="label-${i}"]`, `new-${c}`);
      await page.setInputFiles(`input[name="class-${i}-images"]`, support[i].map((png, j) => file(png, `s${c}-${j}.png`)));
    }
    await page.setInputFiles('input[name="queries-images"]', queries.slice(0, 4).map((png, j) => file(png, `q${j}.png`)));
    await page.locator('.support-class img.thumb').nth(5).waitFor();
    await page.click('button[name="adapt"]');
    await page.locator('[data-prediction="3"]').waitFor();

    const shown = async () =>
      page.locator('[data-prediction]').evaluateAll((rows) =>
        rows.map((row) => ({
          label: row.querySelector('[data-label]')!.getAttribute('data-label')!,
          confidence: Number(row.querySelector('[data-confidence]')!.getAttribute('data-confidence')),
          text: (row.querySelector('[data-confidence] span') as HTMLElement).innerText,
        })),
      );
    const asApi = async (n: number) => {
      const body = {
        support: support.flatMap((images, i) => images.map((png) => ({ label: `new-${unseen[i]}`, image: dataUrl(png) }))),
        queries: queries.slice(0, n).map((png) => ({ image: dataUrl(png) })),
      };
      return (await api.post(`/v1/models/${imageModel}/predict`).send(body).expect(200)).body.predictions as { label: string; confidence: number }[];
    };
    const check = async (n: number) => {
      const expected = await asApi(n);
      const rows = await shown();
      assert.equal(rows.length, n);
      assert.deepEqual(
        rows.map((r) => [r.label, r.confidence, r.text]),
        expected.map((p) => [p.label, p.confidence, `${(p.confidence * 100).toFixed(1)}%`]),
      );
    };
    await check(4);
    const adaptation = await page.locator('[data-adaptation]').getAttribute('data-adaptation');
    assert.match(adaptation!, /^ad_/);
    await page.screenshot({ path: await screenshotPath('try-it'), fullPage: true });

    // More queries, predicted with the adaptation already made.
    await page.setInputFiles('input[name="queries-images"]', queries.slice(4).map((png, j) => file(png, `q${4 + j}.png`)));
    await page.locator('.drop img.thumb[alt="q5.png"]').waitFor();
    await page.click('button[name="predict"]');
    await page.locator('[data-prediction="5"]').waitFor();
    await check(6);
    assert.equal(await page.locator('[data-adaptation]').getAttribute('data-adaptation'), adaptation);
    await api.post(`/v1/adaptations/${adaptation}/predict`).send({ queries: [{ image: dataUrl(queries[0]) }] }).expect(200);
  });

  test('queues: Bull Board opens from the navigation at /admin/queues', async () => {
    await page.goto(`${served.url}/ui/#/jobs`);
    const [board] = await Promise.all([context.waitForEvent('page'), page.click('text=Queues ↗')]);
    await board.waitForLoadState();
    assert.equal(new URL(board.url()).pathname, '/admin/queues');
    await board.getByText('train', { exact: true }).first().waitFor();
    await board.getByText('Loading...').waitFor({ state: 'hidden' });
    await board.screenshot({ path: await screenshotPath('queues') });
    await board.close();
  });

  test('with API keys: a refused request asks for a key once; every request then carries it', async () => {
    const { key } = await served.deps.keys.create({ name: 'ui-trainer', scope: 'train', tenant: TENANT });
    const keyed = await newContext(browser);
    const seen: { url: string; authorization: string | undefined }[] = [];
    await keyed.route(/\/(v1|admin)\//, (route) => {
      seen.push({ url: route.request().url(), authorization: route.request().headers().authorization });
      return route.continue();
    });
    const tab = await keyed.newPage();
    tab.setDefaultTimeout(LONG);
    await tab.goto(`${served.url}/ui/#/models`);
    const dialog = tab.locator('.dialog');
    await dialog.waitFor();
    await tab.screenshot({ path: await screenshotPath('key-dialog') });
    await tab.fill('.dialog input[name="key"]', 'fsk_wrong-key');
    await tab.click('.dialog button[type="submit"]');
    await tab.locator('.dialog', { hasText: 'refused this key' }).waitFor();
    await tab.fill('.dialog input[name="key"]', key);
    await tab.click('.dialog button[type="submit"]');
    await tab.locator(`tr[data-model="${modelId}"]`).waitFor();
    assert.equal(await tab.evaluate(() => sessionStorage.getItem('fewshot_key')), key);

    // Other pages, and the job event stream, use the key without asking again.
    const before = seen.length;
    const job = (await api.get('/v1/jobs?status=completed').expect(200)).body.jobs[0];
    await tab.goto(`${served.url}/ui/#/jobs/${job.id}`);
    await tab.locator('[data-chart="loss"]').waitFor();
    await tab.goto(`${served.url}/ui/#/datasets/${clustersId}`);
    await tab.locator('.sample-class').first().waitFor();
    assert.equal(await dialog.count(), 0);
    const later = seen.slice(before);
    assert.ok(later.some((r) => r.url.includes('/samples')) && later.some((r) => r.url.includes('/metrics')));
    assert.ok(later.every((r) => r.authorization === `Bearer ${key}`), JSON.stringify(later));

    // The queue board is an admin's: a train key's session cookie does not open it.
    const session = await tab.evaluate(
      async (key) => (await fetch('/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) })).status,
      key,
    );
    assert.equal(session, 204);
    const board = await tab.goto(`${served.url}/admin/queues`);
    assert.equal(board?.status(), 403);
    await keyed.close();
  });

  test('first load on loopback (printed; cold cache)', async () => {
    const fresh = await newContext(browser, { key: served.adminKey });
    const tab = await fresh.newPage();
    await tab.goto(`${served.url}/ui/#/jobs`);
    const rendered = await (await tab.waitForFunction(() => document.querySelector('table.jobs') && performance.now())).jsonValue();
    const timing = await tab.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      return {
        responseEnd: nav.responseEnd,
        domContentLoaded: nav.domContentLoadedEventEnd,
        load: nav.loadEventEnd,
        transferredBytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
      };
    });
    const result = { ...timing, jobsTableRendered: rendered as number };
    const round = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Math.round(v * 10) / 10]));
    console.log(`# first load of /ui/#/jobs on loopback (ms, bytes): ${JSON.stringify(round)}`);
    await writeFile(join(ARTIFACTS, 'first-load.json'), JSON.stringify(round, null, 2));
    assert.ok(result.domContentLoaded > 0 && result.jobsTableRendered >= result.domContentLoaded);
    await fresh.close();
  });
});
