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
// says otherwise: GoMLX v0.26.0 executes independent ops of a graph on its
// worker pool and a dot product inside such an op waits on the same pool, so
// a large graph (the direct, uncached training step) can deadlock with every
// worker waiting; we hit it in tests. Sequential ops keep the pool for the
// dot products alone.
package backend

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go backend, "go"
)

// EnvVar overrides the backend configuration for training.
const EnvVar = "MIMO_TRAIN_BACKEND"

// Default is the pure-Go backend.
const Default = "go"

// Config returns the configuration New would use: config if not empty, else
// $MIMO_TRAIN_BACKEND, else $GOMLX_BACKEND, else "go"; a pure-Go
// configuration without an ops_* option gets ops_sequential.
func Config(config string) string {
	c := Default
	for _, x := range []string{config, os.Getenv(EnvVar), os.Getenv(backends.ConfigEnvVar)} {
		if x != "" {
			c = x
			break
		}
	}
	name, opts, _ := strings.Cut(c, ":")
	if name == Default && !strings.Contains(opts, "ops_") {
		if opts == "" {
			return name + ":ops_sequential"
		}
		return name + ":" + opts + ",ops_sequential"
	}
	return c
}

// New builds the backend named by Config(config).
func New(config string) (b backends.Backend, err error) {
	config = Config(config)
	name, _, _ := strings.Cut(config, ":")
	if !slices.Contains(backends.List(), name) {
		return nil, fmt.Errorf("gomlx backend %q is not compiled into this binary (have: %s); the pure-Go backend is %q",
			config, strings.Join(backends.List(), ", "), Default)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gomlx backend %q: %v", config, r)
		}
	}()
	b, err = backends.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("gomlx backend %q: %w", config, err)
	}
	return b, nil
}
