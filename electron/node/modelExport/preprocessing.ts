/**
 * preprocessing.json: what to do to an image file to get the exported model's input, written so that
 * following it literally gives the pixels and the numbers the studio feeds its own network:
 *
 * - decode, colour and resize are what the importer does to make a run's pixels
 *   (electron/node/import/decode.ts `prepareImage`: EXIF orientation, alpha flattened onto white, the
 *   whole image stretched to size x size with libvips's Lanczos-3 from the decoded pixels, the
 *   shortcut it takes with large files) and the channel conversion of training/pixels.ts;
 * - scale, mean and std are ml/train/preprocess.ts's normalisation: the run's per-channel statistics
 *   are on the 0..1 scale (ml/train/normalization.ts), so a 0..255 pixel is divided by 255 first.
 *
 * - resize follows the run's resize policy (electron/common/resizePolicy.ts): sharp's 'fill', 'cover'
 *   (centred) or 'contain' (centred, on black), so the document states exactly which part of a photo
 *   the model sees.
 *
 * Plain data and arithmetic, no tfjs: the export's checker, which must not load the studio's layers,
 * applies it too.
 */

import { describeResizePolicy, LETTERBOX_FILL, type ResizePolicy } from '../../common/resizePolicy.js';

export const PREPROCESSING_FORMAT = 'attention-studio-preprocessing';

/** sharp's `fit` for each resize policy. */
const sharpFit = { squash: 'fill', 'centre-crop': 'cover', letterbox: 'contain' } as const;

/** The size the importer decodes large files to first (its thumbnail size, 96, or the input size if larger). */
export function workingSize(inputSize: number): number {
  return Math.max(96, inputSize);
}

/** Files up to this many bytes are always decoded whole (electron/node/import/decode.ts SMALL_FILE_BYTES). */
export const WHOLE_DECODE_BYTES = 64 * 1024;

export interface PreprocessingDocument {
  format: typeof PREPROCESSING_FORMAT;
  version: 1;
  /** The steps in one paragraph. */
  summary: string;
  decode: {
    orientation: string;
    frames: string;
    alpha: string;
    /** The importer's shortcut for large files, part of what the studio trained and predicts on. */
    reduceWhileDecoding: { when: string; fileBytesOver: number; bothSidesOver: number; fit: 'outside'; width: number; height: number; how: string };
  };
  resize: {
    /** The run's resize policy, and what it does in words. */
    policy: ResizePolicy;
    how: string;
    width: number;
    height: number;
    /** sharp's fit: 'fill' (squash), 'cover' (centre-crop) or 'contain' (letterbox). */
    fit: 'fill' | 'cover' | 'contain';
    /** Where the kept square (cover) or the image (contain) sits: centred. */
    position: 'centre';
    /** The letterbox bars' colour, RGB 0..255; null when nothing is filled. */
    background: [number, number, number] | null;
    kernel: 'lanczos3';
    from: string;
    library: string;
  };
  colour: { channels: 1 | 3; order: string[]; from: string };
  /** Pixels are 0..255 after decoding; multiply by `scale` to get the 0..1 values mean and std apply to. */
  pixelRange: [0, 255];
  scale: number;
  mean: number[];
  std: number[];
  formula: string;
  /** One entry per exported format. */
  layout: {
    tfjs?: { file: 'model.json'; layout: 'NHWC'; shape: (number | 'N')[] };
    onnx?: { file: 'model.onnx'; layout: 'NCHW'; input: string; shape: (number | 'N')[] };
  };
  dtype: 'float32';
  output: { name: string; shape: (number | 'N')[]; meaning: string };
  model: { variant: string; run: number; classes: number };
}

export interface PreprocessingFacts {
  imageSize: number;
  channels: 1 | 3;
  resizePolicy: ResizePolicy;
  /** The run's normalisation: per-channel mean and std of training pixels scaled to 0..1. */
  mean: number[];
  std: number[];
  variant: string;
  runId: number;
  classes: number;
  onnxInput: string;
  onnxOutput: string;
  formats: ('tfjs' | 'onnx')[];
}

export function preprocessingDocument(facts: PreprocessingFacts): PreprocessingDocument {
  const { imageSize: size, channels } = facts;
  const work = workingSize(size);
  const order = channels === 3 ? ['red', 'green', 'blue'] : ['grey'];
  const tfjs = facts.formats.includes('tfjs');
  const onnx = facts.formats.includes('onnx');
  const layouts = [tfjs ? 'NHWC for model.json' : null, onnx ? 'NCHW for model.onnx' : null].filter(Boolean).join(' and ');
  return {
    format: PREPROCESSING_FORMAT,
    version: 1,
    summary:
      `Decode the file (EXIF orientation applied, first frame only), flatten any transparency onto white, ` +
      `${describeResizePolicy(facts.resizePolicy, size)} with a Lanczos-3 resize of the decoded pixels, ` +
      `${channels === 3 ? 'as RGB' : 'then take grey = round(0.299 R + 0.587 G + 0.114 B) of colour images'}; ` +
      `then for each pixel value p (0..255) of channel c: x = (p * scale - mean[c]) / std[c], in float32, ${layouts}.`,
    decode: {
      orientation: 'apply the EXIF orientation (rotate/flip as the camera recorded it)',
      frames: 'the first frame of an animated GIF or multi-page TIFF',
      alpha: 'flatten transparency onto white (#ffffff) before resizing',
      reduceWhileDecoding: {
        when:
          `files over ${WHOLE_DECODE_BYTES} bytes (any size for formats other than JPEG, PNG, GIF and WebP) whose two sides, after orientation, ` +
          `both exceed ${2 * work} pixels are first decoded straight to cover ${work}x${work} (the shorter side becomes ${work}), then resized below`,
        fileBytesOver: WHOLE_DECODE_BYTES,
        bothSidesOver: 2 * work,
        fit: 'outside',
        width: work,
        height: work,
        how: "libvips's resize from the file (sharp(file).rotate().resize(w, h, { fit: 'outside', withoutEnlargement: true })), which shrinks JPEG and WebP while decoding",
      },
    },
    resize: {
      policy: facts.resizePolicy,
      how: describeResizePolicy(facts.resizePolicy, size),
      width: size,
      height: size,
      fit: sharpFit[facts.resizePolicy],
      position: 'centre',
      background: facts.resizePolicy === 'letterbox' ? [LETTERBOX_FILL, LETTERBOX_FILL, LETTERBOX_FILL] : null,
      kernel: 'lanczos3',
      from: 'the decoded pixels (decode to raw pixels first: resizing while decoding gives different pixels)',
      library:
        `libvips through sharp: sharp(rawPixels, { raw }).resize(width, height, { fit: '${sharpFit[facts.resizePolicy]}', position: 'centre'` +
        `${facts.resizePolicy === 'letterbox' ? ", background: { r: 0, g: 0, b: 0, alpha: 1 }" : ''} }); ` +
        "other libraries' Lanczos filters give pixels within a few grey levels and close, not identical, probabilities",
    },
    colour: {
      channels,
      order,
      from:
        channels === 3
          ? 'sRGB as decoded; a grey image gives R = G = B = its grey value'
          : 'a grey image as decoded; a colour image is resized as RGB, then grey = round(0.299 R + 0.587 G + 0.114 B) (ITU-R BT.601)',
    },
    pixelRange: [0, 255],
    scale: 1 / 255,
    mean: facts.mean,
    std: facts.std,
    formula: 'x[c] = (p[c] * scale - mean[c]) / std[c], p in 0..255',
    layout: {
      ...(tfjs ? { tfjs: { file: 'model.json' as const, layout: 'NHWC' as const, shape: ['N' as const, size, size, channels] } } : {}),
      ...(onnx ? { onnx: { file: 'model.onnx' as const, layout: 'NCHW' as const, input: facts.onnxInput, shape: ['N' as const, channels, size, size] } } : {}),
    },
    dtype: 'float32',
    output: {
      name: facts.onnxOutput,
      shape: ['N', facts.classes],
      meaning: 'logits in the order of labels.json; probabilities = softmax(logits)',
    },
    model: { variant: facts.variant, run: facts.runId, classes: facts.classes },
  };
}

/**
 * The model input for `count` images of uint8 pixels (HWC, `doc.colour.channels` per pixel), following
 * the document's scale, mean and std literally, in the layout a runtime wants.
 */
export function inputFromPixels(pixels: Uint8Array, count: number, doc: Pick<PreprocessingDocument, 'scale' | 'mean' | 'std' | 'colour' | 'resize'>, layout: 'NHWC' | 'NCHW'): Float32Array {
  const channels = doc.colour.channels;
  const plane = doc.resize.height * doc.resize.width;
  if (pixels.length !== count * plane * channels) throw new Error(`${pixels.length} pixel values are not ${count} images of ${doc.resize.width}x${doc.resize.height}x${channels}`);
  const out = new Float32Array(pixels.length);
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < channels; c++) {
        const source = (n * plane + i) * channels + c;
        const target = layout === 'NHWC' ? source : (n * channels + c) * plane + i;
        out[target] = (pixels[source]! * doc.scale - doc.mean[c]!) / doc.std[c]!;
      }
    }
  }
  return out;
}
