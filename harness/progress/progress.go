// Package progress draws progress bars for long work (encoding a corpus)
// on a terminal, and stays silent everywhere else (pipes, files, CI logs,
// tests), so logs never fill with carriage-return noise.
package progress

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar counts finished units of work. The zero Bar and a nil *Bar are valid
// and silent.
type Bar struct {
	pb *progressbar.ProgressBar
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New starts a bar of total units described by desc, drawn on w only when w
// is a terminal.
func New(w io.Writer, total int, desc string) *Bar {
	if w == nil || !IsTerminal(w) || total <= 0 {
		return &Bar{}
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
	if b != nil && b.pb != nil {
		_ = b.pb.Add(n)
	}
}

// Finish completes and clears the bar.
func (b *Bar) Finish() {
	if b != nil && b.pb != nil {
		_ = b.pb.Finish()
	}
}
