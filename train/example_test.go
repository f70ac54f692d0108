package train_test

import (
	"fmt"

	"neurosurrogate/train"
)

// Settings are checked before anything runs; errors name the setting, and a
// front end may name it its own way.
func ExampleConfig_Validate() {
	cfg := train.DefaultConfig()
	cfg.Data, cfg.Out = "data/hh", "hh.safetensors"
	cfg.SubBins = 9
	err := cfg.Validate()
	fmt.Println(err)
	if se, ok := err.(*train.SettingError); ok {
		fmt.Println(se.Render(func(s string) string { return "--" + s }))
	}
	// Output:
	// sub_bins 9: at most 8
	// --sub_bins 9: at most 8
}
