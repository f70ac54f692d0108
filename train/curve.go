package train

import (
	"fmt"
	"io"
	"math"
	"neurosurrogate/internal/atomicfile"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// CurvePaths are the learning-curve files written beside a model.
func CurvePaths(out string) (csv, png string) {
	base := strings.TrimSuffix(out, ".safetensors")
	return base + ".curve.csv", base + ".curve.png"
}

// writeCurve writes the per-epoch history as CSV and as a PNG plot
// (training loss; validation F1 at ±2 ms and subthreshold RMSE).
func writeCurve(out string, hist []EpochRecord) error {
	csvPath, pngPath := CurvePaths(out)
	err := atomicfile.Write(csvPath, func(w io.Writer) error {
		fmt.Fprintln(w, "epoch,step,elapsed_s,train_loss,train_loss_vm,train_loss_spike,val_f1_2ms,val_f1_10ms,val_rmse_sub_mV,val_ev_sub,val_rate_ref_hz,val_rate_sur_hz,score")
		for _, h := range hist {
			loss := fmt.Sprintf("%.6g,%.6g,%.6g", h.TrainLoss, h.LossV, h.LossS)
			if h.Epoch < 0 {
				loss = ",," // the starting model (--init): nothing trained yet
			}
			fmt.Fprintf(w, "%d,%d,%.1f,%s,%.4f,%.4f,%.4f,%.4f,%.3f,%.3f,%.4f\n", h.Epoch, h.Step, h.ElapsedS,
				loss, h.ValF1At2, h.ValF1At10, h.ValRMSESub, h.ValEVSub, h.ValRateRef, h.ValRateSur, h.Score)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = "learning curve"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "value"
	series := func(f func(EpochRecord) float64) plotter.XYs {
		var xy plotter.XYs
		for _, h := range hist {
			y := f(h)
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(h.Epoch), Y: y})
		}
		return xy
	}
	// The first epoch's mean loss holds the untrained start and dwarfs the
	// rest; scale by the second's (the first's if there is one) and cap.
	refLoss, trained := 0.0, 0
	for _, h := range hist {
		if h.Epoch >= 0 && trained < 2 {
			refLoss, trained = h.TrainLoss, trained+1
		}
	}
	const lossCap = 1.5
	lines := []struct {
		name string
		f    func(EpochRecord) float64
	}{
		{"val F1 ±2 ms", func(h EpochRecord) float64 { return h.ValF1At2 }},
		{"val F1 ±10 ms", func(h EpochRecord) float64 { return h.ValF1At10 }},
		{"val RMSE sub (mV / 5)", func(h EpochRecord) float64 { return h.ValRMSESub / 5 }},
		{"train loss (1 = the second epoch's, cut at 1.5)", func(h EpochRecord) float64 {
			if h.Epoch < 0 {
				return math.NaN()
			}
			return math.Min(h.TrainLoss/math.Max(refLoss, 1e-12), lossCap)
		}},
	}
	for i, l := range lines {
		xy := series(l.f)
		if len(xy) == 0 {
			continue
		}
		ln, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		ln.Color = plotter.DefaultLineStyle.Color
		ln.LineStyle.Color = palette(i)
		pts.Color = palette(i)
		p.Add(ln, pts)
		p.Legend.Add(l.name, ln)
	}
	p.Legend.Top = true
	return atomicfile.Write(pngPath, func(w io.Writer) error {
		wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
		if err != nil {
			return err
		}
		_, err = wt.WriteTo(w)
		return err
	})
}
