/** Error analysis over stored predictions: pure functions, no tensors, no storage. */
export * from './confusion.js';
export * from './confidentLearning.js';
export * from './ranking.js';
export * from './activeLearning.js';
export * from './folds.js';
