package artifacts

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"neurosurrogate/biophys"
	"neurosurrogate/internal/inputerr"
	"neurosurrogate/surrogate"
)

// isName reports whether arg names a shipped artifact rather than a file.
func isName(arg, ext string) bool {
	return !strings.ContainsAny(arg, `/\`) && !strings.HasSuffix(arg, ext)
}

// MaxNetworkBytes is infer.MaxNetworkBytes (which this package cannot
// import: infer's tests import it).
const MaxNetworkBytes = 16 << 20

// Limits on the files resolve reads, by kind.
var limits = map[string]int64{"cell": biophys.MaxCellBytes, "network": MaxNetworkBytes, "model": surrogate.MaxModelBytes}

// resolve returns a file's bytes: a shipped name, a path (relative to
// base when not absolute), or a repository path artifacts/... that is not
// on disk (so shipped files work from any folder). Files beyond the kind's
// limit are refused before they are read.
func resolve(kind, dir, ext, arg, base string) (data []byte, name string, err error) {
	if arg == "" {
		return nil, "", fmt.Errorf("no %s given (a shipped %s: %s; or a file)", kind, kind, strings.Join(Names(dir, ext), ", "))
	}
	if isName(arg, ext) {
		if b, err := Read(dir + "/" + arg + ext); err == nil {
			return b, arg + " (built in)", nil
		}
		// Not a shipped name: a file of that name, if there is one.
		path := arg
		if base != "" {
			path = filepath.Join(base, arg)
		}
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			return nil, "", fmt.Errorf("unknown %s %q: want one of %s, or a path to a %s file", kind, arg, strings.Join(Names(dir, ext), ", "), ext)
		}
	}
	path := arg
	if base != "" && !filepath.IsAbs(path) {
		path = filepath.Join(base, path)
	}
	var b []byte
	if kind == "model" { // binary: no byte-order mark to skip
		b, err = inputerr.ReadBinary(path, limits[kind], "model files")
	} else {
		b, err = inputerr.ReadFile(path, limits[kind], kind+" descriptions")
	}
	if _, big := err.(*inputerr.TooLargeError); big {
		return nil, "", err
	}
	if err == nil {
		return b, path, nil
	}
	if rel := strings.TrimPrefix(filepath.ToSlash(arg), "artifacts/"); rel != arg && Has(rel) {
		b, rerr := Read(rel)
		return b, arg + " (built in)", rerr
	}
	return nil, "", fmt.Errorf("%s: %w", kind, err)
}

// LoadCell resolves a cell argument: a shipped name (hh, ballstick,
// hay-l5pc) or a cell JSON file (relative to base if not absolute).
func LoadCell(arg, base string) (*biophys.Cell, error) {
	data, name, err := resolve("cell", "cells", ".json", arg, base)
	if err != nil {
		return nil, err
	}
	return biophys.ParseCell(name, data)
}

// LoadModel resolves a model argument: a shipped name (hh, ...) or a
// safetensors file (relative to base if not absolute).
func LoadModel(arg, base string) (*surrogate.Model, error) {
	data, name, err := resolve("model", "models", ".safetensors", arg, base)
	if err != nil {
		return nil, err
	}
	m, _, _, err := surrogate.Decode(name, data)
	return m, err
}

// ReadNetwork resolves a network argument: a shipped name or a JSON file.
func ReadNetwork(arg string) (data []byte, name string, err error) {
	return resolve("network", "networks", ".json", arg, "")
}

// Resolver resolves shipped names and files (infer.Resolver): LoadCell and
// LoadModel.
type Resolver struct{}

// Cell is LoadCell.
func (Resolver) Cell(arg, base string) (*biophys.Cell, error) { return LoadCell(arg, base) }

// Model is LoadModel.
func (Resolver) Model(arg, base string) (*surrogate.Model, error) { return LoadModel(arg, base) }
