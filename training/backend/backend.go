// Package backend selects the GoMLX backend for training, always explicitly.
//
// GoMLX's default configuration ("xla") tries to download a PJRT plugin and
// fails offline, so training never relies on it: the pure-Go backend ("go",
// github.com/gomlx/gomlx/backends/simplego) is compiled in and is the default.
// A GPU run selects another compiled-in backend by name through
// $MIMO_TRAIN_BACKEND (or $GOMLX_BACKEND), e.g. "xla:cuda" in a binary built
// with the XLA backend imported; a name that is not compiled in is a clear
// error, not a download. bf16 training is a GPU-only option: the pure-Go
// backend trains in float32.
//
// The pure-Go backend runs with "ops_sequential" unless the configuration
// says otherwise (see native.SequentialOps for the deadlock it avoids).
// Building the backend is adapters/native's NewBackend: one place knows how
// GoMLX backends are made and what a missing one means.
package backend

import (
	"os"

	"github.com/gomlx/gomlx/backends"

	"github.com/mimo-mlir/mimo/adapters/native"
)

// EnvVar overrides the backend configuration for training.
const EnvVar = "MIMO_TRAIN_BACKEND"

// Default is the pure-Go backend.
const Default = "go"

// Config returns the configuration New would use: config if not empty, else
// $MIMO_TRAIN_BACKEND, else $GOMLX_BACKEND, else "go"; a pure-Go
// configuration without an ops_* option gets ops_sequential.
func Config(config string) string {
	for _, x := range []string{config, os.Getenv(EnvVar), os.Getenv(backends.ConfigEnvVar)} {
		if x != "" {
			return native.SequentialOps(x)
		}
	}
	return native.SequentialOps(Default)
}

// New builds the backend named by Config(config).
func New(config string) (backends.Backend, error) {
	return native.NewBackend(Config(config))
}
