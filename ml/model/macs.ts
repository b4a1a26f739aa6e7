/**
 * Multiply-accumulates per image of a variant at a given input size, from its spec alone (conv and dense
 * layers only, as the paper's "FLOPs" and spec §3 count them). What the training form shows beside the
 * parameter count: the cost grows with the pixel count, the parameters do not.
 */
import type { NetworkSpec } from './network.js';
import { variants, type VariantName } from './variants.js';

/** A 'same' 3×3/2 max-pool or stride-2 conv: ceil(size / 2). */
const half = (size: number) => Math.ceil(size / 2);

function unitMacs(size: number, cin: number, cout: number, strides: 1 | 2): { macs: number; size: number } {
  const bottleneck = cout / 4;
  const out = strides === 2 ? half(size) : size;
  let macs = size * size * cin * bottleneck + out * out * 9 * bottleneck * bottleneck + out * out * bottleneck * cout;
  if (cin !== cout || strides !== 1) macs += out * out * cin * cout;
  return { macs, size: out };
}

function moduleMacs(size: number, c: number, depth: number, units: NetworkSpec['units']): number {
  const unit = (s: number) => unitMacs(s, c, c, 1).macs;
  let macs = 2 * units.preUnits * unit(size) + units.trunkUnits * unit(size);
  if (depth === 0) {
    macs += 2 * units.maskUnits * unit(size);
  } else {
    let s = size;
    for (let level = 1; level <= depth; level++) {
      s = half(s);
      macs += units.maskUnits * unit(s);
      if (level < depth) macs += unit(s) + units.maskUnits * unit(s); // the skip, and the units on the way up
    }
    macs += units.maskUnits * unit(s);
  }
  return macs + 2 * size * size * c * c; // the mask head's two 1×1 convs
}

export function macsPerImage(variant: VariantName, inputSize: number, channels = 3, numClasses = 10): number {
  const { spec } = variants[variant];
  const stemOut = spec.stem.strides === 2 ? half(inputSize) : inputSize;
  let macs = stemOut * stemOut * spec.stem.kernelSize ** 2 * channels * spec.stem.filters;
  let size = spec.stem.maxPool ? half(stemOut) : stemOut;
  let width = spec.stem.filters;
  for (const stage of spec.stages) {
    for (let i = 0; i < stage.unitsBefore; i++) {
      const u = unitMacs(size, width, stage.width, i === 0 ? stage.strides : 1);
      macs += u.macs;
      size = u.size;
      width = stage.width;
    }
    for (let k = 0; k < stage.modules; k++) macs += moduleMacs(size, width, stage.maskDepth, spec.units);
    for (let i = 0; i < stage.unitsAfter; i++) macs += unitMacs(size, width, width, 1).macs;
  }
  return macs + width * numClasses;
}
