/**
 * Batch normalisation's settings, in a module of their own (no TensorFlow.js) because the ONNX writer
 * needs ε too. Momentum 0.9 (PyTorch's default) rather than Keras' 0.99: a search trains each candidate
 * for only a few epochs, and with 0.99 the moving statistics still lag so far behind the weights that
 * the validation Dice the search optimizes measured a stale network (0.19 against 0.89 with batch
 * statistics on the reference network after 40 epochs). ε is Keras' 1e−3.
 */
export const BN_MOMENTUM = 0.9;
export const BN_EPSILON = 1e-3;
