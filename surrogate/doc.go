// Package surrogate defines the CNN-LSTM surrogate neuron: its architecture,
// its weights file (safetensors) and two executions of the one definition —
// a gorgonia graph for training and a batched float32 pass for inference.
package surrogate
