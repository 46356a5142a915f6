import { randomUUID } from 'node:crypto';

/** Opaque resource ids with a readable kind prefix: ds_…, job_…, mdl_…, ad_…. */
export const newId = (kind: 'ds' | 'job' | 'mdl' | 'ad') => `${kind}_${randomUUID().replaceAll('-', '')}`;
