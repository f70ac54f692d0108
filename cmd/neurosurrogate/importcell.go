package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"neurosurrogate/internal/atomicfile"
	"neurosurrogate/internal/inputerr"
	"os"
	"path/filepath"
	"strings"

	"neurosurrogate/biophys"
)

func init() {
	register(&command{
		name:    "import",
		summary: "make a cell file from an SWC morphology or a NEURON export",
		run:     runImport,
	})
}

func runImport(args []string, stdout io.Writer) error {
	fs := newFlags("import", "swc IN.swc --out CELL.json [--nseg RULE] [--name N]  |  neuron CELL_EXPORT.json [--mod MODDIR] [--synapses SYN.json] [--name N] --out CELL.json")
	out := fs.String("out", "", "cell JSON file to write")
	nseg := fs.String("nseg", "dlambda:0.1:100", "swc: segments per section: fixed:N, L40 (1 + 2*int(L/40)) or dlambda[:D[:FREQ_HZ]]")
	name := fs.String("name", "", "the cell's name (default: swc: the file name; neuron: the export's, else the --out file name)")
	modDir := fs.String("mod", "", "neuron: the model's folder of .mod files; its mechanisms run from them (NMODL) and go into the cell")
	ra := fs.Float64("Ra", 100, "swc: axial resistivity (ohm cm)")
	cm := fs.Float64("cm", 1, "swc: specific capacitance (uF/cm2)")
	syn := fs.String("synapses", "", "neuron: synapses JSON (as shared/reference/hay/hay_synapses.py writes)")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if _, err := parseArgs(fs, args, 0); err != nil { // --help prints the usage
			return err
		}
		return usagef("import: say swc or neuron")
	}
	kind := args[0]
	pos, err := parseArgs(fs, args[1:], 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("import %s: give one input file", kind)
	}
	in := pos[0]
	if kind != "neuron" && *modDir != "" {
		return usagef("--mod is for import neuron")
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if err := checkOverwrite([]pathArg{{"--out", *out}}, []pathArg{{"the input file", in}, {"--synapses", *syn}}); err != nil {
		return err
	}
	if err := checkWritable("out", *out); err != nil {
		return err
	}
	if !(*ra > 0) || math.IsInf(*ra, 0) {
		return usagef("--Ra %v: must be a positive number of ohm cm", *ra)
	}
	if !(*cm > 0) || math.IsInf(*cm, 0) {
		return usagef("--cm %v: must be a positive number of uF/cm2", *cm)
	}
	var cell *biophys.Cell
	switch kind {
	case "swc":
		rule, err := biophys.ParseNsegRule(*nseg)
		if err != nil {
			return usagef("--nseg: %v", err)
		}
		n := *name
		if n == "" {
			n = strings.TrimSuffix(filepath.Base(in), ".swc")
		}
		opt := biophys.DefaultSWCOptions(n)
		opt.Nseg, opt.RaOhmCm, opt.CmUFcm2 = rule, *ra, *cm
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		if cell, err = biophys.ReadSWC(in, f, opt); err != nil {
			return err
		}
	case "neuron":
		cj, err := inputerr.ReadFile(in, biophys.MaxExportBytes, "NEURON exports")
		if err != nil {
			return err
		}
		var sj []byte
		if *syn != "" {
			if sj, err = inputerr.ReadFile(*syn, biophys.MaxExportBytes, "NEURON exports"); err != nil {
				return err
			}
		}
		var mod map[string]string
		if *modDir != "" {
			if mod, err = readModDir(*modDir); err != nil {
				return err
			}
			var ins []pathArg
			for f := range mod {
				ins = append(ins, pathArg{"--mod", filepath.Join(*modDir, f)})
			}
			if err := checkOverwrite([]pathArg{{"--out", *out}}, ins); err != nil {
				return err
			}
		}
		if cell, err = biophys.FromNEURONExportMod(cj, sj, mod); err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		if *name != "" {
			cell.Name = *name
		} else if genericExportWithoutName(cj) {
			cell.Name = strings.TrimSuffix(filepath.Base(*out), ".json")
		}
	default:
		return usagef("import %q: want swc or neuron", kind)
	}
	// What cannot be simulated is refused here, not by the next command.
	if _, err := biophys.Compile(cell); err != nil {
		return err // names the input file
	}
	data, err := biophys.MarshalCellCompact(cell)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, data); err != nil {
		return err
	}
	segs := 0
	for _, s := range cell.Sections {
		segs += s.NsegOf()
	}
	fmt.Fprintf(stdout, "wrote %s: cell %s, %d sections, %d segments, %d synapses", *out, cell.Name, len(cell.Sections), segs, len(cell.Synapses))
	if len(cell.NMODL) > 0 {
		var files []string
		for _, m := range cell.NMODL {
			files = append(files, m.File)
		}
		fmt.Fprintf(stdout, ", %d NMODL mechanisms (%s)", len(files), strings.Join(files, " "))
	}
	fmt.Fprintln(stdout)
	return nil
}

// readModDir reads every .mod file of a model's mechanism folder.
func readModDir(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.mod"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("--mod: %w", err)
		}
		return nil, fmt.Errorf("--mod %s: no .mod files there", dir)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := inputerr.ReadFile(f, 16<<20, "NMODL files")
		if err != nil {
			return nil, err
		}
		out[filepath.Base(f)] = string(b)
	}
	return out, nil
}

// genericExportWithoutName says whether a NEURON export is
// neuron_export.py's (it lists the mechanisms) and names no cell; the
// older Hay export's cell is hay-l5pc.
func genericExportWithoutName(data []byte) bool {
	var v struct {
		Name       string   `json:"name"`
		Mechanisms []string `json:"mechanisms"`
	}
	_ = json.Unmarshal(inputerr.TrimBOM(data), &v)
	return v.Name == "" && v.Mechanisms != nil
}
