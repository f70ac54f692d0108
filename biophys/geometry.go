package biophys

import "math"

// SegmentGeometry is what NEURON computes for one segment of a section.
type SegmentGeometry struct {
	AreaUM2 float64 // lateral membrane area
	// RiMohm is the axial resistance from the segment's centre to the
	// previous node: the section's start for the first segment, else the
	// previous segment's centre (NEURON's ri()).
	RiMohm float64
	Diam   float64 // mean diameter over the segment (um)
}

// SectionGeometry holds a section's segments and the resistance (MOhm) from
// the last segment's centre to the section's far end (x = 1).
type SectionGeometry struct {
	Seg       []SegmentGeometry
	EndRiMohm float64
	L         float64 // um
}

// NEURON stores 3-D points in single precision (Pt3d's x, y, z, d are C
// floats) and forms the coordinate differences in float arithmetic before
// summing the arc length in double; pt3dStep and pt3dDiam do the same, so
// that lengths, areas and resistances agree with NEURON's to rounding.

// pt3dStep is the distance between consecutive 3-D points a and b.
func pt3dStep(a, b [4]float64) float64 {
	dx := float64(float32(b[0]) - float32(a[0]))
	dy := float64(float32(b[1]) - float32(a[1]))
	dz := float64(float32(b[2]) - float32(a[2]))
	return math.Sqrt(dx*dx + dy*dy + dz*dz)
}

// pt3dDiam is the diameter of a 3-D point as NEURON stores it.
func pt3dDiam(p [4]float64) float64 { return math.Abs(float64(float32(p[3]))) }

func arcLength(pts [][4]float64) float64 {
	arc := 0.0
	for i := 1; i < len(pts); i++ {
		arc += pt3dStep(pts[i-1], pts[i])
	}
	return arc
}

// Geometry computes segment areas and axial resistances as NEURON's
// nrn_area_ri does: right circular cylinders for L/diam sections, and the
// trapezoidal integration over 3-D points (frustums) of diam_from_list.
func (s *Section) Geometry() SectionGeometry {
	nseg := s.NsegOf()
	ra := *s.Ra
	g := SectionGeometry{Seg: make([]SegmentGeometry, nseg)}
	if len(s.Pt3d) > 1 {
		g.L = s.geometryPt3d(ra, g.Seg, &g.EndRiMohm)
		return g
	}
	L := *s.L
	g.L = L
	diam, _ := s.Diam.expand(nseg)
	dx := L / float64(nseg)
	rright := 0.0
	for j := 0; j < nseg; j++ {
		d := diam[j]
		rleft := 1e-2 * ra * (dx / 2) / (math.Pi * d * d / 4)
		g.Seg[j] = SegmentGeometry{AreaUM2: math.Pi * d * dx, RiMohm: rleft + rright, Diam: d}
		rright = rleft
	}
	g.EndRiMohm = rright
	return g
}

// geometryPt3d is NEURON's diam_from_list, one call per segment folded into a loop.
func (s *Section) geometryPt3d(ra float64, seg []SegmentGeometry, endRi *float64) float64 {
	pts := s.Pt3d
	npt := len(pts)
	arc := make([]float64, npt)
	for i := 1; i < npt; i++ {
		arc[i] = arc[i-1] + pt3dStep(pts[i-1], pts[i])
	}
	nseg := len(seg)
	ds := arc[npt-1] / float64(nseg)
	j := 0
	x1, y1 := arc[0], pt3dDiam(pts[0])
	rparent := 0.0
	for inode := 0; inode < nseg; inode++ {
		si := float64(inode) * ds
		diam, area, rleft, rright := 0.0, 0.0, 0.0, 0.0
		for ihalf := 0; ihalf < 2; ihalf++ {
			ri := 0.0
			sip := si + ds/2
			for {
				jp := j + 1
				xj, xjp := arc[j], arc[jp]
				var x2, y2 float64
				jnext := jp
				if xjp > sip || jp == npt-1 {
					frac := 1.0
					if math.Abs(xjp-xj) >= 1e-10 {
						frac = (sip - xj) / (xjp - xj)
					}
					x2 = sip
					y2 = (1-frac)*pt3dDiam(pts[j]) + frac*pt3dDiam(pts[jp])
					jnext = j
				} else {
					x2 = xjp
					y2 = pt3dDiam(pts[jp])
				}
				delta := x2 - x1
				diam += (y2 + y1) * delta
				if delta < 1e-15 {
					delta = 1e-15
				}
				temp := y2 * y1 / delta
				if temp == 0 {
					temp = 1e-15
				}
				ri += 1 / temp
				temp = .5 * (y2 - y1)
				temp = math.Sqrt(delta*delta + temp*temp)
				area += (y2 + y1) * temp
				x1, y1 = x2, y2
				if j == jnext {
					break
				}
				j = jnext
			}
			if ihalf == 0 {
				rleft = ri * ra / math.Pi * (4 * .01)
			} else {
				rright = ri * ra / math.Pi * (4 * .01)
			}
			si = sip
		}
		seg[inode] = SegmentGeometry{AreaUM2: area * .5 * math.Pi, RiMohm: rparent + rleft, Diam: diam * .5 / ds}
		rparent = rright
	}
	*endRi = rparent
	return arc[npt-1]
}

// nodeIndex is NEURON's node_index: the segment holding arc position x.
func nodeIndex(nseg int, x float64) int {
	i := int(float64(nseg) * x)
	if i == nseg {
		i = nseg - 1
	}
	return i
}

// PathDistance is the distance (um) along the cable from the middle of the
// root section to position x of section sec.
func (c *Cell) PathDistance(sec int, x float64) float64 {
	length := func(i int) float64 { return c.Sections[i].length() }
	names := c.sectionNames()
	d := x * length(sec)
	for i := sec; ; {
		s := &c.Sections[i]
		if s.Parent == nil {
			// The root: measure from its middle.
			return math.Abs(d - 0.5*length(i))
		}
		p, _ := c.lookup(names, *s.Parent)
		px := 1.0
		if s.ParentX != nil {
			px = *s.ParentX
		}
		if c.Sections[p].Parent == nil {
			return d + math.Abs(px-0.5)*length(p)
		}
		d += px * length(p)
		i = p
	}
}
