package main

import (
	"fmt"
	"os"
	"strings"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
)

// loadCell resolves a --cell argument: a shipped cell name (hh, ballstick,
// ...) or a path to a cell JSON file.
func loadCell(arg string) (*biophys.Cell, error) {
	if arg == "" {
		return nil, usagef("--cell is required (a shipped cell: %s; or a cell JSON file)", strings.Join(artifacts.Names("cells", ".json"), ", "))
	}
	if !strings.ContainsAny(arg, `/\`) && !strings.HasSuffix(arg, ".json") {
		name := "cells/" + arg + ".json"
		if !artifacts.Has(name) {
			return nil, fmt.Errorf("unknown cell %q: want one of %s, or a path to a cell JSON file", arg, strings.Join(artifacts.Names("cells", ".json"), ", "))
		}
		data, _ := artifacts.Read(name)
		return biophys.ParseCell(arg+" (built in)", data)
	}
	if _, err := os.Stat(arg); err != nil {
		// A shipped file named by its repository path works from any folder.
		if rel := strings.TrimPrefix(arg, "artifacts/"); rel != arg && artifacts.Has(rel) {
			data, _ := artifacts.Read(rel)
			return biophys.ParseCell(arg, data)
		}
	}
	return biophys.LoadCell(arg)
}
