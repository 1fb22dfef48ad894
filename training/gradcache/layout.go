package gradcache

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Layout is how one full batch is spread over data-parallel devices and
// which rows each loss sees, for the two batch semantics of issue 17:
//
//   - global (PerDevice false, the paper's formula): the Rows rows of one
//     optimiser step are split over the devices, device d holding rows
//     [d*Rows/Devices, (d+1)*Rows/Devices) (integer division: an epoch's
//     last, short batch splits as evenly as it can), and the loss is computed once over
//     all of them: every row's in-batch negatives are all Rows rows (the
//     representations are gathered across devices). The loss, and so every
//     gradient, is the one-device loss of the whole batch whatever Devices is.
//   - per-device (PerDevice true, the authors' scripts: torch DDP with 2
//     processes of 2,048 rows and no gather): device d computes the loss over
//     its own rows only (negatives from its rows), and the step's loss and
//     gradients are the mean over devices (DDP averages gradients). With
//     Devices = 1 it is the global loss.
//
// The gradient cache composes with both: its mini-batches only cut the
// forward and backward passes, and the loss (step 2) is computed on the
// representations of every row, grouped as the Layout says.
type Layout struct {
	Rows      int
	Devices   int // 0 means 1
	PerDevice bool
}

func (l Layout) devices() int { return max(1, l.Devices) }

// Validate checks that every device gets at least one row.
func (l Layout) Validate() error {
	if l.Rows < l.devices() {
		return fmt.Errorf("gradcache: a batch of %d rows cannot give each of %d devices a row", l.Rows, l.devices())
	}
	return nil
}

// DeviceRows are the rows [from, to) that device d holds.
func (l Layout) DeviceRows(d int) (from, to int) {
	n := l.devices()
	return d * l.Rows / n, (d + 1) * l.Rows / n
}

// Device is the device that holds row.
func (l Layout) Device(row int) int {
	for d := range l.devices() {
		if _, to := l.DeviceRows(d); row < to {
			return d
		}
	}
	return l.devices() - 1
}

// LossGroups are the row ranges the loss is computed over, one loss each,
// averaged: [0, Rows) for the global batch, each device's rows per device.
func (l Layout) LossGroups() [][2]int {
	if !l.PerDevice || l.devices() == 1 {
		return [][2]int{{0, l.Rows}}
	}
	out := make([][2]int, l.devices())
	for d := range out {
		out[d][0], out[d][1] = l.DeviceRows(d)
	}
	return out
}

// Negatives are the rows [from, to) whose representations row's loss sees
// (its positive among them).
func (l Layout) Negatives(row int) (from, to int) {
	if !l.PerDevice {
		return 0, l.Rows
	}
	return l.DeviceRows(l.Device(row))
}

// layout is the engine's Layout for a batch of rows.
func (e *Engine) layout(rows int) Layout {
	return Layout{Rows: rows, Devices: e.opts.Devices, PerDevice: e.opts.PerDevice}
}

// buildObjective builds the objective over reps and targets grouped by the
// Layout: one Build over every row (global batch: exactly the objective's
// own graph), or one Build per device's rows, total and terms averaged.
func (e *Engine) buildObjective(ctx *context.Context, reps, targets []*Node) (*Node, []*Node) {
	rows := reps[0].Shape().Dimensions[0]
	groups := e.layout(rows).LossGroups()
	if len(groups) == 1 {
		return e.obj.Build(ctx, reps, targets)
	}
	var total *Node
	terms := make([]*Node, len(e.obj.TermNames()))
	for _, gr := range groups {
		part := func(ns []*Node) []*Node {
			out := make([]*Node, len(ns))
			for i, n := range ns {
				out[i] = graph.Slice(n, graph.AxisRange(gr[0], gr[1]))
			}
			return out
		}
		t, ts := e.obj.Build(ctx, part(reps), part(targets))
		if total == nil {
			total = t
			copy(terms, ts)
			continue
		}
		total = graph.Add(total, t)
		for k := range terms {
			terms[k] = graph.Add(terms[k], ts[k])
		}
	}
	n := float64(len(groups))
	for k := range terms {
		terms[k] = graph.DivScalar(terms[k], n)
	}
	return graph.DivScalar(total, n), terms
}
