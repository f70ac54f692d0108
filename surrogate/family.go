package surrogate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Family is an architecture family: how an Arch of the family lays out its
// weights and runs for inference. A family registers itself by name
// (RegisterFamily) in an init function; a model file names its family, and
// its training engines register by family and name (RegisterEngine). The
// CNN-LSTM ("cnn-lstm") is the first.
type Family interface {
	// Layout is the table of the architecture's weights.
	Layout(a Arch) Layout
	// Validate checks what the family needs of an architecture beyond
	// Arch.Validate's common checks (inputs, sample step, sub-bins).
	Validate(a Arch) error
	// NewStepper prepares the inference pass for n cells at rest at
	// vInitMV.
	NewStepper(m *Model, n int, vInitMV float32) Stepper
}

// DefaultFamily is the family of an architecture that names none (every
// model file written before families existed).
const DefaultFamily = "cnn-lstm"

var families = map[string]Family{}

// RegisterFamily makes a family available by name. It panics if the name
// is taken or not a plain lower-case word with dashes (it appears in model
// files).
func RegisterFamily(name string, f Family) {
	if _, dup := families[name]; dup {
		panic(fmt.Sprintf("surrogate: architecture family %q registered twice", name))
	}
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		panic(fmt.Sprintf("surrogate: architecture family name %q: want lower-case letters, digits and dashes", name))
	}
	families[name] = f
}

// Families lists the registered families' names, sorted.
func Families() []string { return slices.Sorted(maps.Keys(families)) }

// FamilyName is the architecture's family (DefaultFamily when it names
// none).
func (a Arch) FamilyName() string {
	if a.Family == "" {
		return DefaultFamily
	}
	return a.Family
}

// family is the architecture's registered family; Validate has checked it
// exists.
func (a Arch) family() Family {
	f, ok := families[a.FamilyName()]
	if !ok {
		panic(fmt.Sprintf("surrogate: architecture family %q is not registered (validate the architecture first)", a.FamilyName()))
	}
	return f
}

// checkFamily says whether the architecture's family is registered.
func (a Arch) checkFamily() error {
	if _, ok := families[a.FamilyName()]; !ok {
		return fmt.Errorf("architecture family %q is not known to this program (known: %s)", a.FamilyName(), strings.Join(Families(), ", "))
	}
	return nil
}

// Layout is the table of the architecture's weights (its family's).
func (a Arch) Layout() Layout { return a.family().Layout(a) }
