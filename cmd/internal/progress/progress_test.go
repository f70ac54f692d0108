package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	b := NewTo(&buf, false, "generate", 10, "traces")
	b.Set(3, "loss 1.5") // the first update is written at once
	b.Set(4, "")         // then at most one line every few seconds
	b.Done()
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "3/10 traces") || !strings.Contains(lines[0], "loss 1.5") || !strings.Contains(lines[1], "done in") {
		t.Fatalf("plain output:\n%s", out)
	}
	if strings.Contains(out, "\r") || strings.Contains(out, "\033") {
		t.Error("plain output holds terminal control characters")
	}
}

func TestTerminalBar(t *testing.T) {
	var buf bytes.Buffer
	b := NewTo(&buf, true, "train", 4, "steps")
	b.Set(2, "")
	b.Done()
	out := buf.String()
	if !strings.Contains(out, "\r\033[K") || !strings.Contains(out, "2/4 steps") || !strings.Contains(out, "ETA") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("terminal output %q", out)
	}
}

func TestResumedRateCountsOnlyNewWork(t *testing.T) {
	var buf bytes.Buffer
	b := NewTo(&buf, false, "train", 1000, "steps")
	b.StartAt(900)
	b.start = b.start.Add(-10 * time.Second) // 10 units in 10 s since the resume
	b.Set(910, "")
	out := buf.String()
	if !strings.Contains(out, "910/1000") || !strings.Contains(out, "(91.0%, 1 steps/s)") || !strings.Contains(out, "ETA 1m30s") {
		t.Fatalf("resumed bar: %q", out)
	}
}

func TestNoRateFromAnInstant(t *testing.T) {
	var buf bytes.Buffer
	b := NewTo(&buf, false, "train", 8000, "steps")
	b.StartAt(2400)
	b.Set(2401, "") // one step a few microseconds after the bar started
	out := buf.String()
	if !strings.Contains(out, "2401/8000 steps (30.0%, ? steps/s) ETA ?") {
		t.Fatalf("a rate from an instant: %q", out)
	}
}

func TestResumedUnitsFoundAsTheJobGoes(t *testing.T) {
	var buf bytes.Buffer
	b := NewTo(&buf, false, "checks", 10, "variants")
	b.start = b.start.Add(-60 * time.Second)
	b.Set(1, "") // one run in this process
	b.StartAt(1) // then one read back from an earlier run...
	b.StartAt(2) // ...and another
	b.last = time.Time{}
	b.Set(4, "") // and one more run: 2 run in 60 s
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "4/10 variants (40.0%, 0.03333 variants/s) ETA 3m0s") {
		t.Fatalf("rate over the units run here: %q", last)
	}
}
