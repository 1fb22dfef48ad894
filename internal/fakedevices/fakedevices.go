// Package fakedevices wraps a GoMLX backend so that it reports more
// devices than it has: tests of how executables are planned and configured
// for a device mesh (gradcache.Plan) use it on the one-device pure-Go
// backend. It changes nothing else: a graph compiled for more devices than
// the wrapped backend has fails there, so tests build and inspect
// executables on it but never run a multi-device one.
package fakedevices

import "github.com/gomlx/gomlx/backends"

// Backend is a backends.Backend that reports N devices.
type Backend struct {
	backends.Backend
	N int
}

// New wraps b to report n devices.
func New(b backends.Backend, n int) Backend { return Backend{Backend: b, N: n} }

// NumDevices implements backends.Backend.
func (b Backend) NumDevices() int { return b.N }
