// The dashboard: a static single-page app under /ui (src/ui, built into src/ui/public by
// `npm run build:ui` and committed, so installing needs no build step). It reads the API with
// the caller's key like any client, so its files themselves are public.
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { declareScope } from './auth.js';

const UI_ROOT = fileURLToPath(new URL('../../ui/public/', import.meta.url));

export async function installUi(app: FastifyInstance): Promise<void> {
  await app.register(async (ui) => {
    ui.addHook('onRoute', declareScope('public'));
    // Another @fastify/static (the API docs, the queue board) may own reply.sendFile.
    // preCompressed: the build writes .br and .gz copies, sent to browsers that accept them.
    await ui.register(fastifyStatic, { root: UI_ROOT, prefix: '/ui/', decorateReply: false, preCompressed: true });
    for (const url of ['/', '/ui']) ui.get(url, { schema: { hide: true } }, (_request, reply) => reply.redirect('/ui/'));
  });
}
