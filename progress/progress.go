// Package progress reports long work (encoding a corpus, a Hub download, a
// training phase): a bar with rate and ETA on a terminal; elsewhere (pipes,
// files, CI and batch-job logs) one plain line at most every LogInterval,
// with count, rate and ETA, so a multi-hour run on a scheduler shows it is
// alive without filling its log with carriage-return noise. It is the one
// place progress is drawn: the harness, the hub client and training use it.
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
	total, done int64
	start, last time.Time
	unit        string
	bytes       bool
	from        int64 // the count at the start (StartAt): not part of the rate
	asTerminal  bool
}

// Option configures a Bar.
type Option func(*Bar)

// Unit names what is counted ("texts" unless set; "steps" for training).
func Unit(name string) Option { return func(b *Bar) { b.unit = name } }

// Bytes counts bytes: sizes are shown in B/kB/MB, and the Bar is an
// io.Writer that counts what is written through it (a download).
func Bytes() Option { return func(b *Bar) { b.bytes = true } }

// AsTerminal draws the bar on a w that is not an *os.File (a caller's own
// writer, as hub.WithProgress takes) instead of writing log lines; an
// *os.File still gets the bar only when it is a terminal.
func AsTerminal() Option { return func(b *Bar) { b.asTerminal = true } }

// StartAt starts the count at n (a resumed download or training phase).
func StartAt(n int64) Option { return func(b *Bar) { b.done, b.from = n, n } }

// LogInterval is the least time between two log lines off a terminal.
var LogInterval = time.Minute

// now is the clock (tests replace it).
var now = time.Now

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New starts a bar of total units described by desc: a bar on w when w is
// a terminal, periodic log lines otherwise, nothing when w is nil or total
// is not positive.
func New(w io.Writer, total int64, desc string, opts ...Option) *Bar {
	b := &Bar{unit: "texts"}
	for _, o := range opts {
		o(b)
	}
	if w == nil || total <= 0 {
		return &Bar{}
	}
	b.desc, b.total = desc, total
	_, isFile := w.(*os.File)
	if !IsTerminal(w) && (isFile || !b.asTerminal) {
		t := now()
		b.w, b.start, b.last = w, t, t
		return b
	}
	po := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	}
	if b.bytes {
		// A transfer's bar stays on screen, finished, as a record of it.
		po = append(po, progressbar.OptionShowBytes(true), progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	} else {
		po = append(po, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(b.unit),
			progressbar.OptionClearOnFinish())
	}
	b.pb = progressbar.NewOptions64(total, po...)
	if b.done > 0 {
		_ = b.pb.Set64(b.done)
	}
	return b
}

// Add records n more finished units.
func (b *Bar) Add(n int) { b.Add64(int64(n)) }

// Add64 records n more finished units.
func (b *Bar) Add64(n int64) {
	if b == nil {
		return
	}
	if b.pb != nil {
		_ = b.pb.Add64(n)
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

// Write counts len(p) units (bytes, with the Bytes option) and never
// fails, so a Bar can sit in an io.MultiWriter beside a download's file.
func (b *Bar) Write(p []byte) (int, error) {
	b.Add(len(p))
	return len(p), nil
}

// logLine writes "desc: done/total (p%), rate/s, ETA d" (under b.mu).
func (b *Bar) logLine(t time.Time) {
	el := t.Sub(b.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(b.done-b.from) / el
	}
	eta := "unknown"
	if rate > 0 {
		eta = (time.Duration(float64(b.total-b.done)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100 * float64(b.done) / float64(b.total)
	if b.bytes {
		fmt.Fprintf(b.w, "%s: %s/%s (%.0f%%), %s/s, ETA %s\n", b.desc, size(float64(b.done)), size(float64(b.total)), pct, size(rate), eta)
		return
	}
	fmt.Fprintf(b.w, "%s: %d/%d (%.0f%%), %.1f %s/s, ETA %s\n", b.desc, b.done, b.total, pct, rate, b.unit, eta)
}

// size formats a byte count with a decimal unit (as the terminal bar does).
func size(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

// Close is Finish, for a Bar used as an io.WriteCloser; it never fails.
func (b *Bar) Close() error {
	b.Finish()
	return nil
}

// Finish completes and clears the bar.
func (b *Bar) Finish() {
	if b != nil && b.pb != nil {
		_ = b.pb.Finish()
	}
}
