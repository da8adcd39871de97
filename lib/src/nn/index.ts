/**
 * The recurrent-network engine, bottom-up:
 *   core/     the data (Matrix, Parameter, Sequence), plain-loop matrix operations, shape checks, eigenvalues
 *   compute/  where the arithmetic runs: backend selection, the matrix products (plain loops,
 *             TensorFlow.js, direct wasm calls), σ/tanh/exp at each precision
 *   layers/   the layers, each with its forward pass and its hand-written backward pass
 *   reference/ the same cells written one step at a time, to be read beside the equations
 *   train/    losses, optimizers, clipping, truncated BPTT, gradient checking, initializers, the training loop
 */
export * from "./core/matrix";
export * from "./core/parameter";
export * from "./core/sequence";
export * from "./core/shapes";
export * from "./core/ops";
export * from "./core/eigen";
export * from "./compute/activations";
export * from "./compute/linalg";
export * from "./compute/jsLinalg";
export * from "./compute/tfLinalg";
export * from "./layers/layer";
export * from "./layers/parameters";
export * from "./layers/dense";
export * from "./layers/embedding";
export * from "./layers/rnn";
export * from "./layers/lstm";
export * from "./layers/gru";
export * from "./layers/highway";
// ReLU, and the deep plain and highway feed-forward classifiers of lesson 09.
export * from "./layers/relu";
export * from "./layers/feedForward";
export * from "./layers/stacked";
export * from "./layers/bidirectional";
export * from "./layers/attention";
// Inverted dropout on a layer's outputs (masks from a seeded Random, identity at evaluation):
// the regularizer of the character language models in lesson 07.
export * from "./layers/dropout";
// The cells one step at a time, beside the fast layers: ReferenceRNN (lesson 02),
// ReferenceLSTM (lessons 05 and 06), ReferenceGRU (lesson 07); see reference/index.ts.
export * from "./reference";
export * from "./train/losses";
export * from "./train/optim";
export * from "./train/clip";
export * from "./train/truncation";
export * from "./train/gradcheck";
export * from "./train/init";
export * from "./train/loop";
