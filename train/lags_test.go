package train

import (
	"fmt"
	"testing"
)

func TestParseInputLags(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // fmt of the lags, or "error"
	}{
		{"", "[]"},
		{"0,1,2,4,8", "[0 1 2 4 8]"},
		{" 0, 3 ,9", "[0 3 9]"},
		{"geom:8:100", "[0 1 2 3 4 5 6 7 10 14 19 27 38 53 74 100]"},
		{"geom:1:3", "[0 1 2 3]"},
		{"geom:4:3", "[0 1 2 3]"},
		{"geom:0:10", "error"},
		{"geom:8:5", "error"},
		{"geom:8", "error"},
		{"0,x", "error"},
		{"geom:2000000000:2000000000", "error"},
		{"geom:8:1000000", "error"},
	} {
		got, err := ParseInputLags(tc.in)
		s := fmt.Sprint(got)
		if got == nil {
			s = "[]"
		}
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("ParseInputLags(%q) = %s (%v), want %s", tc.in, s, err, tc.want)
		}
	}
}

func TestParseTraces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // fmt of the time constants, or "error"
	}{
		{"", "[]"},
		{"0,1,2.5,40", "[0 1 2.5 40]"},
		{" 0 , 3", "[0 3]"},
		{"geom:8:1:64", "[0 1 2 4 8 16 32 64]"},
		{"geom:3:2:50", "[0 2 50]"},
		{"geom:4:1:8", "[0 1 2.828 8]"},
		{"geom:1:1:8", "error"},
		{"geom:8:0:64", "error"},
		{"geom:8:64:1", "error"},
		{"geom:8:1:5000", "error"},
		{"geom:8:1", "error"},
		{"geom:100:1:64", "error"},
		{"0,x", "error"},
	} {
		got, err := ParseTraces(tc.in)
		s := fmt.Sprint(got)
		if got == nil {
			s = "[]"
		}
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("ParseTraces(%q) = %s (%v), want %s", tc.in, s, err, tc.want)
		}
	}
}
