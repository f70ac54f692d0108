package infer

import (
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"neurosurrogate/surrogate"
)

var (
	refColor = color.RGBA{40, 40, 40, 255}
	surColor = color.RGBA{214, 39, 40, 255}
)

// WriteRolloutPNG draws reference and surrogate Vm over each other with
// their spikes marked above the traces.
func WriteRolloutPNG(path string, r *CellResult, title string) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (ms)"
	p.Y.Label.Text = "Vm (mV)"
	top := -1e9
	for _, tr := range []Trace{r.Ref, r.Sur} {
		for _, v := range tr.V {
			top = max(top, v)
		}
	}
	for i, tr := range []Trace{r.Ref, r.Sur} {
		xy := make(plotter.XYs, len(tr.V))
		for k, v := range tr.V {
			xy[k] = plotter.XY{X: float64(k) * tr.SampleDT, Y: v}
		}
		ln, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		c := []color.Color{refColor, surColor}[i]
		ln.LineStyle.Color = c
		ln.LineStyle.Width = vg.Points(0.6)
		p.Add(ln)
		marks := make(plotter.XYs, len(tr.Spikes))
		for k, s := range tr.Spikes {
			marks[k] = plotter.XY{X: s, Y: top + 8 + 6*float64(i)}
		}
		if len(marks) > 0 {
			sc, err := plotter.NewScatter(marks)
			if err != nil {
				return err
			}
			sc.GlyphStyle.Color = c
			sc.GlyphStyle.Shape = draw.PlusGlyph{}
			sc.GlyphStyle.Radius = vg.Points(2.5)
			p.Add(sc)
		}
		p.Legend.Add([]string{"reference (spikes: upper row 1)", "surrogate (spikes: upper row 2)"}[i], ln)
	}
	p.Legend.Top = true
	return surrogate.WriteFileAtomic(path, func(w io.Writer) error {
		wt, err := p.WriterTo(14*vg.Inch, 5*vg.Inch, "png")
		if err != nil {
			return err
		}
		_, err = wt.WriteTo(w)
		return err
	})
}
