// Package artifacts holds the shipped data (cell descriptions, trained
// surrogate models and networks) embedded in the binary, so the main job
// runs from any folder.
package artifacts

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed cells models networks
var files embed.FS

// FS is the embedded artifacts tree (cells/, models/, networks/).
func FS() fs.FS { return files }

// Read returns an embedded file, e.g. Read("cells/hh.json").
func Read(name string) ([]byte, error) { return files.ReadFile(name) }

// Names lists the embedded files of a folder without their extension.
func Names(dir, ext string) []string {
	ents, _ := files.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ext) {
			out = append(out, strings.TrimSuffix(e.Name(), ext))
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether an embedded file exists.
func Has(name string) bool {
	_, err := fs.Stat(files, path.Clean(name))
	return err == nil
}
