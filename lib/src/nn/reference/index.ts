/**
 * The recurrent cells of the lessons, one step at a time, written to be read
 * beside the equations: one matrix-level line per equation, the local
 * derivative written under its forward formula, no fused loops and no
 * performance tricks. Each one copies its weights from a fast layer
 * (`ReferenceLSTM.from(lstm)`), so a lesson can show the reference and train
 * the fast layer; test/nn-reference.test.ts checks that both give the same
 * outputs and gradients.
 */

/** Lesson 02: the vanilla RNN, h_t = tanh(x_t W_xh + h_{t−1} W_hh + b_h), beside the fast {@link RNN}. */
export { ReferenceRNN } from "./rnn";
export type { RNNWeights, RNNStepCache, ReferenceRNNForward } from "./rnn";

/** Lessons 05 (the LSTM cell) and 06 (the variants of Greff et al.: NIG, NFG, NOG, NIAF, NOAF, peepholes, CIFG, FGR), beside the fast {@link LSTM}. */
export { ReferenceLSTM } from "./lstm";
export type { LSTMWeights, LSTMGateWeights, ReferenceLSTMOptions, LSTMState, LSTMStepCache, ReferenceLSTMForward, FusedLSTMGradients } from "./lstm";

/** Lesson 07: the GRU, reset gate after (cuDNN, PyTorch) or before (Cho et al. 2014) the recurrent product, beside the fast {@link GRU}. */
export { ReferenceGRU } from "./gru";
export type { GRUWeights, CandidateWeights, ReferenceGRUOptions, GRUStepCache, ReferenceGRUForward, FusedGRUGradients } from "./gru";

/** A gate's weights { W_x, W_h, b } and the backward pass through z = x_t W_x + h_{t−1} W_h + b. */
export type { GateWeights } from "./gate";
export { gateBackward } from "./gate";

/** The matrix-level operations the cells are written with: matmul, add, hadamard, σ, tanh, 1 − m… */
export * as referenceOps from "./ops";
