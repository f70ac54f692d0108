package main

import (
	"os"
	"path/filepath"
	"strings"

	"neurosurrogate/artifacts"
)

// pathArg is a file (or folder) that a command reads or writes, and how
// the command line named it ("--events", "the input file", ...).
type pathArg struct {
	name, path string
}

// checkOverwrite refuses a command line on which an output would replace
// an input, or another output: the same path once made absolute and
// cleaned, or the same existing file reached by another name (a symbolic
// link, a hard link; os.SameFile). Empty paths (flags not given) are
// skipped. Every command that writes files calls it before its work.
func checkOverwrite(outs, ins []pathArg) error {
	for i, o := range outs {
		if o.path == "" {
			continue
		}
		for _, in := range ins {
			if in.path != "" && samePath(o.path, in.path) {
				return usagef("%s %s is the same file as %s %s: writing it would destroy the input; choose another output", o.name, o.path, in.name, in.path)
			}
		}
		for _, o2 := range outs[:i] {
			if o2.path != "" && samePath(o.path, o2.path) {
				return usagef("%s %s is the same file as %s %s: choose different outputs", o.name, o.path, o2.name, o2.path)
			}
		}
	}
	return nil
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// artifactFile is the file a --cell, --model or --network argument reads
// (relative to base when not absolute), or "" for the name of a shipped
// one (which no output can overwrite). kind is the artifacts folder
// (cells, models, networks) and ext the files' extension.
func artifactFile(arg, base, kind, ext string) string {
	if arg == "" || (!strings.ContainsAny(arg, `/\`) && !strings.HasSuffix(arg, ext) && artifacts.Has(kind+"/"+arg+ext)) {
		return ""
	}
	if base != "" && !filepath.IsAbs(arg) {
		return filepath.Join(base, arg)
	}
	return arg
}
