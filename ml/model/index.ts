/**
 * The Residual Attention Network library (Wang et al., CVPR 2017). Importing it also registers the
 * custom layers, which `tf.loadLayersModel` needs. File checkpoints live in `./io.js`, kept out of
 * this barrel because it needs Node's file system.
 */
export { buildModel, isVariantName, variantNames, variants } from './variants.js';
export type { ModelOptions, Variant, VariantName } from './variants.js';
export { buildNetwork } from './network.js';
export type { BuildOptions, NetworkSpec, StageSpec, StemSpec } from './network.js';
export { fusionKinds } from './attentionModule.js';
export type { AttentionUnits, FusionKind } from './attentionModule.js';
export { maskActivationKinds, MaskActivation } from './layers/maskActivation.js';
export type { MaskActivationKind } from './layers/maskActivation.js';
export { ResizeToReference } from './layers/resizeToReference.js';
export { buildInspectionModel, countParams, maskLayerNames } from './inspect.js';
export { applyInitialization, initSchemes, isInitScheme } from './init.js';
export type { InitScheme } from './init.js';
