package infer

import (
	"fmt"
	"image/color"
	"io"
	"neurosurrogate/internal/atomicfile"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"neurosurrogate/infer/metrics"
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
	if len(r.Series) == 0 {
		return atomicfile.Write(path, func(w io.Writer) error {
			wt, err := p.WriterTo(14*vg.Inch, 5*vg.Inch, "png")
			if err != nil {
				return err
			}
			_, err = wt.WriteTo(w)
			return err
		})
	}
	// A panel per output and optical readout under the Vm.
	plots := [][]*plot.Plot{{p}}
	for _, sr := range r.Series {
		q := plot.New()
		q.Title.Text = fmt.Sprintf("%s (%s)", sr.Name, sr.Unit)
		q.X.Label.Text = "time (ms)"
		q.X.Min, q.X.Max = 0, float64(len(r.Ref.V)-1)*r.Ref.SampleDT
		off := 0 // outputs start at sample 1, optical readouts at 0
		if !sr.Optical {
			off = 1
		}
		for i, ys := range [][]float64{sr.Ref, sr.Sur} {
			xy := make(plotter.XYs, len(ys))
			for k, y := range ys {
				xy[k] = plotter.XY{X: float64(k+off) * r.Ref.SampleDT, Y: y}
			}
			ln, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			ln.LineStyle.Color = []color.Color{refColor, surColor}[i]
			ln.LineStyle.Width = vg.Points(0.6)
			q.Add(ln)
		}
		plots = append(plots, []*plot.Plot{q})
	}
	p.X.Min, p.X.Max = 0, float64(len(r.Ref.V)-1)*r.Ref.SampleDT
	w, h := 14*vg.Inch, vg.Length(3+2*len(r.Series))*vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(plots, tiles, dc)
	for i, row := range plots {
		row[0].Draw(canvases[i][0])
	}
	return atomicfile.Write(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(wr)
		return err
	})
}

// WriteRasterPNG draws a spike raster (at most maxCells cells, evenly
// spaced through the network) over the population rate (5 ms bins) of the
// surrogate run, and of the reference run when one is given.
func WriteRasterPNG(path string, b *Built, sur, ref *RunResult, maxCells int) error {
	stride := max(1, (b.Cells+maxCells-1)/maxCells)
	top := plot.New()
	top.Title.Text = fmt.Sprintf("%s: %d cells (every %d-th shown), %.0f ms", b.Net.Name, b.Cells, stride, sur.TstopMS)
	top.Y.Label.Text = "cell"
	add := func(run *RunResult, c color.Color, offset float64) error {
		var xy plotter.XYs
		for _, s := range run.Spikes {
			if int(s.Cell)%stride == 0 {
				xy = append(xy, plotter.XY{X: s.TimeMS, Y: float64(s.Cell) + offset})
			}
		}
		if len(xy) == 0 {
			return nil
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = c
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(0.8)
		top.Add(sc)
		return nil
	}
	if err := add(sur, surColor, 0); err != nil {
		return err
	}
	bottom := plot.New()
	bottom.X.Label.Text = "time (ms)"
	bottom.Y.Label.Text = "rate (Hz/cell)"
	rate := func(run *RunResult, c color.Color, name string) error {
		var ts []float64
		for _, s := range run.Spikes {
			ts = append(ts, s.TimeMS)
		}
		ps := metrics.PSTH(ts, b.Cells, run.TstopMS, 5)
		xy := make(plotter.XYs, len(ps))
		for i, v := range ps {
			xy[i] = plotter.XY{X: (float64(i) + 0.5) * 5, Y: v}
		}
		ln, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		ln.LineStyle.Color = c
		bottom.Add(ln)
		bottom.Legend.Add(name, ln)
		return nil
	}
	if err := rate(sur, surColor, "surrogate"); err != nil {
		return err
	}
	if ref != nil {
		if err := add(ref, refColor, float64(stride)/2); err != nil {
			return err
		}
		if err := rate(ref, refColor, "reference"); err != nil {
			return err
		}
	}
	bottom.Legend.Top = true
	bottom.X.Min, bottom.X.Max = 0, sur.TstopMS
	top.X.Min, top.X.Max = 0, sur.TstopMS
	const w, h = 12 * vg.Inch, 8 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	plots := [][]*plot.Plot{{top}, {bottom}}
	canvases := plot.Align(plots, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	return atomicfile.Write(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(wr)
		return err
	})
}
