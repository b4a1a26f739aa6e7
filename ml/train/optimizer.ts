/**
 * What every optimiser here shares: which weights it updates and decays, and its per-weight state
 * ("slots": momentum, Adam moments), which a checkpoint must capture for a resumed run to continue
 * exactly. The optimisers are our own rather than `tf.train.*` because tfjs's optimisers can neither
 * skip weight decay on some weights nor round-trip their state in tfjs 4.22's Layers format.
 */
import * as tf from '@tensorflow/tfjs';

/** One trainable weight of the model, in `model.trainableWeights` order. */
export interface TrainableParam {
  /** The layer's weight name (e.g. `stage1_attn_mask_conv1/kernel`), for messages. */
  name: string;
  variable: tf.Variable;
  /**
   * Whether weight decay applies. Only kernels (conv and dense weights, rank >= 2) are decayed; biases
   * and batch-norm gamma/beta are not, as is usual for BN networks (their scale is undone by the next
   * BN, so decaying them only shifts the effective learning rate).
   */
  decay: boolean;
}

export function trainableParams(model: tf.LayersModel): TrainableParam[] {
  return model.trainableWeights.map((weight) => ({
    name: weight.originalName,
    variable: weight.read() as tf.Variable,
    decay: weight.shape.length >= 2,
  }));
}

/** Plain-data optimiser state: slot tensors listed by weight position, which is stable across save/load. */
export interface OptimizerState {
  kind: string;
  /** Updates applied so far (Adam's bias correction needs it). */
  iterations: number;
  /** Slot tensors; `param` indexes `trainableParams(model)`, `paramName` is for messages only. */
  slots: { param: number; paramName: string; slot: string; tensor: tf.Tensor }[];
}

export interface Optimizer {
  readonly kind: string;
  readonly iterations: number;
  /**
   * One update of every param; `gradients[i]` belongs to `params[i]`. A param without a gradient (not
   * connected to the loss) is left alone, state included, as PyTorch does. Disposes nothing it was given.
   */
  applyGradients(params: TrainableParam[], gradients: (tf.Tensor | undefined)[], learningRate: number): void;
  /** A snapshot whose tensors the caller owns (and must dispose). */
  getState(params: TrainableParam[]): OptimizerState;
  /** Replaces the state with copies of `state`'s tensors, after checking they fit `params`. */
  setState(params: TrainableParam[], state: OptimizerState): void;
  dispose(): void;
}

/**
 * Slot bookkeeping for the concrete optimisers: `slots[i]` holds the named state tensors of param i,
 * created lazily at the first update (so the tensor count is constant from the first step on).
 */
export abstract class SlotOptimizer implements Optimizer {
  abstract readonly kind: string;
  protected abstract readonly slotNames: readonly string[];
  iterations = 0;
  protected slots: (tf.Tensor[] | undefined)[] = [];

  abstract applyGradients(params: TrainableParam[], gradients: (tf.Tensor | undefined)[], learningRate: number): void;

  protected checkGradients(params: TrainableParam[], gradients: (tf.Tensor | undefined)[]): void {
    if (params.length !== gradients.length) {
      throw new Error(`${gradients.length} gradients for ${params.length} weights.`);
    }
  }

  /**
   * Swaps in new slot tensors for param i, disposing the old ones. `keep`: updates usually run inside
   * the caller's `tf.tidy` (the training step's), which would otherwise dispose the new state.
   */
  protected replaceSlots(index: number, next: tf.Tensor[]): void {
    this.slots[index]?.forEach((t) => t.dispose());
    this.slots[index] = next.map((t) => tf.keep(t));
  }

  getState(params: TrainableParam[]): OptimizerState {
    const slots: OptimizerState['slots'] = [];
    this.slots.forEach((tensors, param) => {
      tensors?.forEach((tensor, k) =>
        slots.push({ param, paramName: params[param]?.name ?? String(param), slot: this.slotNames[k], tensor: tensor.clone() }),
      );
    });
    return { kind: this.kind, iterations: this.iterations, slots };
  }

  setState(params: TrainableParam[], state: OptimizerState): void {
    if (state.kind !== this.kind) {
      throw new Error(`The checkpoint holds ${state.kind} optimiser state; this run uses ${this.kind}.`);
    }
    const next: (tf.Tensor[] | undefined)[] = [];
    for (const { param, paramName, slot, tensor } of state.slots) {
      const target = params[param];
      const k = this.slotNames.indexOf(slot);
      if (!target || k < 0 || !tf.util.arraysEqual(target.variable.shape, tensor.shape)) {
        next.forEach((ts) => ts?.forEach((t) => t.dispose()));
        throw new Error(
          `Optimiser state "${paramName}/${slot}" (shape ${tensor.shape.join('x')}) does not fit this model ` +
            `(weight ${param}: ${target ? `${target.name}, ${target.variable.shape.join('x')}` : 'missing'}); was it saved from another architecture?`,
        );
      }
      (next[param] ??= [])[k] = tf.keep(tensor.clone());
    }
    const incomplete = next.findIndex((ts) => ts !== undefined && this.slotNames.some((_, k) => ts[k] === undefined));
    if (incomplete >= 0) {
      next.forEach((ts) => ts?.forEach((t) => t.dispose()));
      throw new Error(`Optimiser state for weight ${params[incomplete]?.name ?? incomplete} lacks some of ${this.slotNames.join(', ')}.`);
    }
    this.dispose();
    this.slots = next;
    this.iterations = state.iterations;
  }

  dispose(): void {
    this.slots.forEach((tensors) => tensors?.forEach((t) => t.dispose()));
    this.slots = [];
  }
}
