/**
 * Tools to look inside a recurrent network's gradients: power iteration for
 * the spectral radius, the largest singular value, and the product of step
 * Jacobians that backpropagation through time multiplies together.
 */
export * from "./power";
export * from "./jacobian";
export * from "./cliff";
export * from "./stepShares";
export * from "./correlation";
export * from "./saturation";
export * from "./lstmActivations";
