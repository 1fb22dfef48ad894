//go:build xla

package transformer

import (
	"github.com/gomlx/gomlx/backends/xla"
)

// Built with -tags xla: the XLA/PJRT backend ("xla:cuda", "xla:cpu") is
// available, with GoMLX's plugin auto-install switched off so a missing
// plugin is an error instead of a download (which fails offline anyway).
func init() {
	xla.EnableAutoInstall(false)
	xlaCompiled = true
}
