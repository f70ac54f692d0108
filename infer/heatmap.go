package infer

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"neurosurrogate/internal/atomicfile"
)

// sweepGrid is one 2-D slice of a sweep's readout for a heat map: rows
// are the values of axis y, columns those of axis x.
type sweepGrid struct {
	x, y []float64
	z    [][]float64 // [row][col]
}

func (g sweepGrid) Dims() (c, r int)   { return len(g.x), len(g.y) }
func (g sweepGrid) Z(c, r int) float64 { return g.z[r][c] }
func (g sweepGrid) X(c int) float64    { return g.x[c] }
func (g sweepGrid) Y(r int) float64    { return g.y[r] }

// MaxHeatmapSlices bounds the slices drawn for a 3-D sweep.
const MaxHeatmapSlices = 25

// WriteSweepPlots draws each readout over the grid into dir as
// READOUT.png: a line over a 1-D sweep, a heat map over a 2-D one (first
// axis up, second across), and over a 3-D one a heat map of the last two
// axes for each value of the first (at most MaxHeatmapSlices, evenly
// chosen), all on one colour scale. It returns the files written; sweeps
// of more axes get none.
func WriteSweepPlots(dir string, plan *SweepPlan, names []string, rows []SweepRow) ([]string, error) {
	if len(plan.Axes) == 0 || len(plan.Axes) > 3 || len(rows) == 0 {
		return nil, nil
	}
	var out []string
	for _, name := range names {
		path := filepath.Join(dir, SweepPlotFile(name))
		var err error
		if len(plan.Axes) == 1 {
			err = writeSweepLine(path, plan, name, rows)
		} else {
			err = writeSweepHeatmap(path, plan, name, rows)
		}
		if err != nil {
			return out, err
		}
		out = append(out, path)
	}
	return out, nil
}

func axisLabel(a SweepAxis) string { return a.Path }

// SweepPlotFile is the name of a readout's plot in a sweep's folder.
func SweepPlotFile(readout string) string { return strings.ReplaceAll(readout, "/", "_") + ".png" }

// axisOrder places an axis's values on a heat map: sorted, each cell at
// its value (order[k] is the k-th smallest value's index), or, with
// repeated values, at its position in the sorted order, labelled so.
func axisOrder(a SweepAxis) (pos []float64, order []int, label string) {
	order = make([]int, len(a.Values))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return a.Values[order[i]] < a.Values[order[j]] })
	label = axisLabel(a)
	pos = make([]float64, len(order))
	for k, i := range order {
		pos[k] = a.Values[i]
	}
	for k := 1; k < len(pos); k++ {
		if pos[k] == pos[k-1] {
			for k := range pos {
				pos[k] = float64(k)
			}
			label += " (by rank: repeated values)"
			break
		}
	}
	return pos, order, label
}

func writeSweepLine(path string, plan *SweepPlan, name string, rows []SweepRow) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %s", plan.Name, name)
	p.X.Label.Text = axisLabel(plan.Axes[0])
	p.Y.Label.Text = fmt.Sprintf("%s (%s)", name, ReadoutUnit(name))
	var xy plotter.XYs
	for _, r := range rows {
		if v := r.R.Value(name); !math.IsNaN(v) {
			xy = append(xy, plotter.XY{X: r.Values[0], Y: v})
		}
	}
	sort.SliceStable(xy, func(i, j int) bool { return xy[i].X < xy[j].X })
	if len(xy) > 0 {
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.Color, pts.Color = surColor, surColor
		p.Add(l, pts)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		c := vgimg.PngCanvas{Canvas: vgimg.New(16*vg.Centimeter, 10*vg.Centimeter)}
		p.Draw(draw.New(c))
		_, err := c.WriteTo(w)
		return err
	})
}

func writeSweepHeatmap(path string, plan *SweepPlan, name string, rows []SweepRow) error {
	ax := plan.Axes
	slices := [][]SweepRow{rows}
	var sliceVals []float64
	if len(ax) == 3 {
		per := len(ax[1].Values) * len(ax[2].Values)
		k := len(ax[0].Values)
		for _, i := range evenly(k, MaxHeatmapSlices) {
			if (i+1)*per <= len(rows) {
				sliceVals = append(sliceVals, ax[0].Values[i])
				if len(sliceVals) == 1 {
					slices = slices[:0]
				}
				slices = append(slices, rows[i*per:(i+1)*per])
			}
		}
		ax = ax[1:]
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if v := r.R.Value(name); !math.IsNaN(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	pal := moreland.SmoothBlueRed()
	pal.SetMin(lo)
	pal.SetMax(hi)
	colors := pal.Palette(255)
	var plots []*plot.Plot
	xs, xo, xl := axisOrder(ax[1])
	ys, yo, yl := axisOrder(ax[0])
	for si, sl := range slices {
		g := sweepGrid{x: xs, y: ys, z: make([][]float64, len(ys))}
		for r := range g.z {
			g.z[r] = make([]float64, len(g.x))
			for c := range g.z[r] {
				g.z[r][c] = math.NaN()
				if i := yo[r]*len(g.x) + xo[c]; i < len(sl) {
					g.z[r][c] = sl[i].R.Value(name)
				}
			}
		}
		h := plotter.NewHeatMap(g, colors)
		h.Min, h.Max, h.NaN = lo, hi, color.Gray{200}
		p := plot.New()
		p.Add(h)
		p.X.Label.Text, p.Y.Label.Text = xl, yl
		p.Title.Text = fmt.Sprintf("%s: %s", plan.Name, name)
		if sliceVals != nil { // short: the tiles are narrow; the bar names the readout
			path := plan.Axes[0].Path
			p.Title.Text = fmt.Sprintf("%s = %.4g", path[strings.LastIndexByte(path, '.')+1:], sliceVals[si])
		}
		plots = append(plots, p)
	}
	cb := plot.New()
	cb.HideX()
	cb.Y.Padding = 0
	cb.Title.Text = ReadoutUnit(name)
	if cb.Title.Text == "1" {
		cb.Title.Text = ""
	}
	if sliceVals != nil {
		cb.Title.Text = strings.TrimSpace(name + " " + cb.Title.Text)
	}
	cb.Add(&plotter.ColorBar{ColorMap: pal, Vertical: true})
	cols := int(math.Ceil(math.Sqrt(float64(len(plots)))))
	nrows := (len(plots) + cols - 1) / cols
	tile := 11 * vg.Centimeter
	if len(plots) > 1 {
		tile = 7 * vg.Centimeter
	}
	w, h := tile*vg.Length(cols)+3*vg.Centimeter, tile*vg.Length(nrows)*0.85
	return atomicfile.Write(path, func(wr io.Writer) error {
		img := vgimg.New(w, h)
		dc := draw.New(img)
		body := draw.Crop(dc, 0, -3*vg.Centimeter, 0, 0)
		tiles := draw.Tiles{Rows: nrows, Cols: cols, PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 2}
		for i, p := range plots {
			p.Draw(tiles.At(body, i%cols, i/cols))
		}
		bar := draw.Crop(dc, w-2.8*vg.Centimeter, 0, 0.5*vg.Centimeter, -0.5*vg.Centimeter)
		cb.Draw(bar)
		c := vgimg.PngCanvas{Canvas: img}
		_, err := c.WriteTo(wr)
		return err
	})
}

// evenly picks at most k of n indices evenly, first and last included.
func evenly(n, k int) []int {
	k = min(k, n)
	var out []int
	for i := range k {
		x := 0
		if k > 1 {
			x = int(math.Round(float64(i) * float64(n-1) / float64(k-1)))
		}
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
