import type { Algorithm } from '../config.js';
import type { Network } from '../models/network.js';
import type { InnerLoop, MetaLearner } from './learner.js';
import { anil } from './anil.js';
import { maml } from './maml.js';
import { metaSgd } from './metasgd.js';
import { protonet } from './protonet.js';
import { reptile } from './reptile.js';

export type { MetaLearner, InnerLoop, TaskResult } from './learner.js';

/** Prototypical networks have no classification head; the others have one of `ways` outputs. */
export function headWidth(algorithm: Algorithm, ways: number): number | null {
  return algorithm === 'protonet' ? null : ways;
}

export function createLearner(algorithm: Algorithm, network: Network, inner: InnerLoop): MetaLearner {
  switch (algorithm) {
    case 'maml':
      return maml(network, inner, false);
    case 'fomaml':
      return maml(network, inner, true);
    case 'reptile':
      return reptile(network, inner);
    case 'protonet':
      return protonet(network, inner);
    case 'metasgd':
      return metaSgd(network, inner);
    case 'anil':
      return anil(network, inner);
  }
}
