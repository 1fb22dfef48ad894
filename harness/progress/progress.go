// Package progress reports long work (encoding a corpus): a bar with rate
// and ETA on a terminal; elsewhere (pipes, files, CI and batch-job logs) one
// plain line at most every LogInterval, with count, rate and ETA, so a
// multi-hour run on a scheduler shows it is alive without filling its log
// with carriage-return noise.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar counts finished units of work. The zero Bar and a nil *Bar are valid
// and silent.
type Bar struct {
	pb *progressbar.ProgressBar

	// Off a terminal: periodic log lines.
	mu          sync.Mutex
	w           io.Writer
	desc        string
	total, done int
	start, last time.Time
}

// LogInterval is the least time between two log lines off a terminal.
var LogInterval = time.Minute

// now is the clock (tests replace it).
var now = time.Now

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New starts a bar of total units described by desc, drawn on w only when w
// is a terminal.
func New(w io.Writer, total int, desc string) *Bar {
	if w == nil || total <= 0 {
		return &Bar{}
	}
	if !IsTerminal(w) {
		t := now()
		return &Bar{w: w, desc: desc, total: total, start: t, last: t}
	}
	return &Bar{pb: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("texts"),
		progressbar.OptionThrottle(100_000_000), // 100ms
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
	)}
}

// Add records n more finished units.
func (b *Bar) Add(n int) {
	if b == nil {
		return
	}
	if b.pb != nil {
		_ = b.pb.Add(n)
		return
	}
	if b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if t := now(); t.Sub(b.last) >= LogInterval && b.done < b.total {
		b.last = t
		b.logLine(t)
	}
}

// logLine writes "desc: done/total (p%), rate/s, ETA d" (under b.mu).
func (b *Bar) logLine(t time.Time) {
	el := t.Sub(b.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(b.done) / el
	}
	eta := "unknown"
	if rate > 0 {
		eta = (time.Duration(float64(b.total-b.done)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "%s: %d/%d (%.0f%%), %.1f texts/s, ETA %s\n", b.desc, b.done, b.total, 100*float64(b.done)/float64(b.total), rate, eta)
}

// Finish completes and clears the bar.
func (b *Bar) Finish() {
	if b != nil && b.pb != nil {
		_ = b.pb.Finish()
	}
}
