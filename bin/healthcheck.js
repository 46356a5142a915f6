#!/usr/bin/env node
// The container health check, for every role: healthy when GET /healthz answers 200 on the
// API's PORT or on a worker's own health server (FEWSHOT_WORKER_HEALTH_PORT). Only one of them
// listens in any container. Plain JavaScript, no tsx: it runs every 30 s.
const ports = [...new Set([process.env.PORT || '8080', process.env.FEWSHOT_WORKER_HEALTH_PORT].filter(Boolean))];
const healthy = (port) =>
  fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) }).then(
    (res) => res.ok,
    () => false,
  );
Promise.all(ports.map(healthy)).then((answers) => process.exit(answers.some(Boolean) ? 0 : 1));
