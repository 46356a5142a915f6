#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the installed package needs no build step. Both
// hooks, as `node --import tsx` would: some dependencies are loaded through require().
import { register as registerCjs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCjs();
registerEsm();
await import('../src/cli/main.ts');
