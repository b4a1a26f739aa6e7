/**
 * The class names of the layers the project registers with tfjs (ml/model/layers/, ml/layers/). An
 * export must contain none of them: stock TensorFlow.js cannot load them. Kept as plain data, with no
 * imports, so the export's checker can see that none of them is registered where it runs without
 * registering them itself (a test pins this list to what the project really registers).
 */
export const projectLayerClassNames = ['BatchNormRelu', 'MaskActivation', 'ResizeToReference'] as const;
