/**
 * Defaults of the training recipe that depend on the model or the data, in one place for the studio's
 * form, the CLI and the training worker.
 */

/**
 * L2 weight decay: the paper's 1e-4 for the paper-size networks (spec §4.1), 5e-4 for the small lite
 * models of 0.07-0.26 M parameters (spec §4.3), which overfit a small data set sooner.
 */
export function defaultWeightDecay(model: string): number {
  return model.startsWith('lite-') ? 5e-4 : 1e-4;
}

const DIGIT_WORDS = new Set(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);

/**
 * Whether to mirror training images left-right, from the class names: off for digits and characters,
 * where a mirror image is another symbol or none (spec §4.3: "not for digits"), on otherwise.
 */
export function defaultHorizontalFlip(classNames: readonly string[]): { flip: boolean; reason: string } {
  const names = classNames.map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0);
  if (names.length === 0) return { flip: true, reason: 'no classes yet: flipping is the usual choice for photos' };
  const digits = names.every((n) => /^\d+$/.test(n) || DIGIT_WORDS.has(n));
  if (digits) return { flip: false, reason: 'the classes are digits, and a mirrored digit is not the same digit' };
  const characters = names.every((n) => [...n].length === 1);
  if (characters) return { flip: false, reason: 'the classes are single characters, and mirrored text changes its meaning' };
  return { flip: true, reason: 'photos of objects look the same mirrored left-right' };
}
