//go:build xla

package backend

import "github.com/gomlx/gomlx/backends/xla"

// Built with -tags xla, training can run on the XLA backend
// (MIMO_TRAIN_BACKEND=xla:cuda on a GPU machine with the PJRT plugin
// installed). Auto-install is off: a missing plugin is an error, never a
// download.
func init() { xla.EnableAutoInstall(false) }
