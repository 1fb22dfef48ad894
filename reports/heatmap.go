package reports

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// relevantFoundHeatmap draws, for one task, the relevant_found matrix of
// each model (query language rows x document language columns, the share
// of the relevant documents in that language found in the top k) as SVG,
// one panel per model, each cell with its value in a <title>. k is the
// smallest cut-off the results hold. gonum's heat map needs a colour bar
// and a grid type for what is a small table of shares, so this is drawn
// directly.
func relevantFoundHeatmap(rs []*row, task string) (string, int, bool) {
	type panel struct {
		label string
		m     map[string]map[string]float64
	}
	var panels []panel
	k := 0
	qset, dset := map[string]bool{}, map[string]bool{}
	for _, r := range rs {
		s := first(r.entries[task])
		if s == nil || len(s.RelevantFound) == 0 {
			continue
		}
		keys := peerKeys(s.RelevantFound, "at_")
		if k == 0 {
			if _, err := fmt.Sscanf(keys[0], "at_%d", &k); err != nil {
				continue
			}
		}
		m := s.RelevantFound[fmt.Sprintf("at_%d", k)]
		if m == nil {
			continue
		}
		panels = append(panels, panel{r.label, m})
		for q, row := range m {
			qset[q] = true
			for d := range row {
				dset[d] = true
			}
		}
	}
	qs, ds := sortedKeys(qset), sortedKeys(dset)
	if len(panels) == 0 || len(qs) == 0 || len(ds) == 0 {
		return "", 0, false
	}
	const cell, left, top, gap = 24.0, 34.0, 44.0, 30.0
	pw := float64(len(ds)) * cell
	ph := float64(len(qs)) * cell
	perRow := max(1, int(math.Floor(900/(left+pw+gap))))
	nrows := (len(panels) + perRow - 1) / perRow
	width := float64(min(perRow, len(panels)))*(left+pw+gap) + 10
	height := float64(nrows)*(top+ph+gap) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="10">`+"\n",
		width, height, width, height)
	for i, p := range panels {
		ox := float64(i%perRow)*(left+pw+gap) + 5
		oy := float64(i/perRow)*(top+ph+gap) + 5
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" font-weight="bold">%s</text>`+"\n", ox, oy+12, html.EscapeString(p.label))
		for j, d := range ds {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, ox+left+(float64(j)+0.5)*cell, oy+top-6, html.EscapeString(d))
		}
		for qi, q := range qs {
			y := oy + top + float64(qi)*cell
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, ox+left-4, y+cell/2+3, html.EscapeString(q))
			for j, d := range ds {
				x := ox + left + float64(j)*cell
				v, ok := p.m[q][d]
				fill, tip := "#eeeeee", fmt.Sprintf("%s: queries in %s, documents in %s: no relevant documents", p.label, q, d)
				if ok && !math.IsNaN(v) {
					fill = heatColor(v)
					tip = fmt.Sprintf("%s: queries in %s, documents in %s: %.2f of the relevant found in the top %d", p.label, q, d, v, k)
				}
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#fff"><title>%s</title></rect>`+"\n",
					x, y, cell, cell, fill, html.EscapeString(tip))
			}
		}
	}
	b.WriteString("</svg>\n")
	return b.String(), k, true
}

// heatColor maps a share in [0, 1] from near white to dark blue.
func heatColor(v float64) string {
	v = math.Max(0, math.Min(1, v))
	lerp := func(a, b float64) int { return int(math.Round(a + (b-a)*v)) }
	return fmt.Sprintf("#%02x%02x%02x", lerp(247, 8), lerp(251, 48), lerp(255, 107))
}
