/** Optimiser configs as plain data (stored with a run and its checkpoints), and the factory. */
import { AdamOptimizer, type AdamConfig } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { SgdOptimizer, type SgdConfig } from './sgd.js';

export type OptimizerConfig = SgdConfig | AdamConfig;

export function createOptimizer(config: OptimizerConfig): Optimizer {
  switch (config.kind) {
    case 'sgd':
      return new SgdOptimizer(config);
    case 'adam':
      return new AdamOptimizer(config);
  }
}
