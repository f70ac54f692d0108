package main

import (
	"strings"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// loadCell resolves a --cell argument: a shipped cell name (hh, ballstick,
// ...) or a path to a cell JSON file.
func loadCell(arg string) (*biophys.Cell, error) {
	if arg == "" {
		return nil, usagef("--cell is required (a shipped cell name or a cell JSON file)")
	}
	return artifacts.LoadCell(arg, "")
}

// loadModel resolves --model: a shipped model name or a file.
func loadModel(arg string) (*surrogate.Model, error) {
	if arg == "" {
		return nil, usagef("--model is required (a shipped model name or a .safetensors file)")
	}
	return artifacts.LoadModel(arg, "")
}

// shippedCells and shippedModels list the built-in names for help texts.
var (
	shippedCells  = strings.Join(artifacts.Names("cells", ".json"), ", ")
	shippedModels = strings.Join(artifacts.Names("models", ".safetensors"), ", ")
	cellChoice    = strings.Join(artifacts.Names("cells", ".json"), "|") + "|PATH.json"
)
