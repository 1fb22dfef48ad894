package transformer

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go backend, "go"
)

// DefaultBackend is the pure-Go GoMLX backend: no C libraries, runs anywhere.
const DefaultBackend = "go"

// BackendEnv is the one environment variable that chooses the GoMLX
// backend, for inference and for training alike: GoMLX's own
// $GOMLX_BACKEND, which the Makefile and CI set.
const BackendEnv = backends.ConfigEnvVar

// RetiredBackendEnvs are the variables that chose the backend before
// BackendEnv did (MIMO_NATIVE_BACKEND for the encoder, MIMO_TRAIN_BACKEND
// for training). One that is set is an ErrRetiredBackendEnv naming
// BackendEnv, so an old script fails loudly instead of silently running on
// another backend.
var RetiredBackendEnvs = []string{"MIMO_NATIVE_BACKEND", "MIMO_TRAIN_BACKEND"}

// ErrRetiredBackendEnv is returned when a retired backend variable is set.
var ErrRetiredBackendEnv = errors.New("retired backend variable")

// xlaCompiled is set by xla.go when the binary is built with -tags xla.
var xlaCompiled bool

// BackendConfig resolves the GoMLX backend configuration: config if not
// empty, else $GOMLX_BACKEND, else a device ("cpu" or "" -> "go"; "cuda"
// or "cuda:0" -> "xla:cuda"). A set retired variable (RetiredBackendEnvs)
// is an error whatever the rest says.
func BackendConfig(config, device string) (string, error) {
	for _, name := range RetiredBackendEnvs {
		if v := os.Getenv(name); v != "" {
			return "", fmt.Errorf("transformer: $%s=%q: %w: set $%s=%s instead", name, v, ErrRetiredBackendEnv, BackendEnv, v)
		}
	}
	for _, c := range []string{config, os.Getenv(BackendEnv)} {
		if c != "" {
			return c, nil
		}
	}
	switch device {
	case "", "cpu":
		return DefaultBackend, nil
	case "cuda", "cuda:0", "gpu":
		return "xla:cuda", nil
	default:
		return "", fmt.Errorf("transformer: device %q is not supported (cpu, cuda or cuda:0; pick another GPU with CUDA_VISIBLE_DEVICES)", device)
	}
}

// SequentialOps adds "ops_sequential" to a pure-Go configuration that does
// not choose an ops_* mode. GoMLX v0.26.0 runs independent ops of a graph on
// its worker pool, and a dot product inside such an op waits on the same
// pool, so a large graph can deadlock with every worker waiting (seen in the
// training tests on the uncached step). Sequential ops keep the pool for the
// dot products alone. Other backends are returned unchanged.
func SequentialOps(config string) string {
	name, opts, _ := strings.Cut(config, ":")
	if name != DefaultBackend || strings.Contains(opts, "ops_") {
		return config
	}
	if opts == "" {
		return name + ":ops_sequential"
	}
	return name + ":" + opts + ",ops_sequential"
}

// NewBackend builds the GoMLX backend named by config ("go", "xla:cuda",
// "xla:cpu", "xla:/abs/path/pjrt_c_api_cuda_plugin.so"). GoMLX's own default
// would try to download an XLA plugin; this never does: the pure-Go backend
// is compiled in, the XLA backend only with -tags xla (and then with
// auto-install off), and a backend or plugin that is not there is an error
// that says what to do.
//
// A pure-Go configuration gets sequential ops unless it says otherwise (see
// SequentialOps).
func NewBackend(config string) (b backends.Backend, err error) {
	config = SequentialOps(config)
	name, _, _ := strings.Cut(config, ":")
	if !slices.Contains(backends.List(), name) {
		hint := ""
		if name == "xla" || name == "stablehlo" {
			hint = "; build with `go build -tags xla` and install a PJRT plugin (see scripts/gpu-check.sh)"
		}
		return nil, fmt.Errorf("transformer: GoMLX backend %q is not compiled into this binary (have: %s)%s",
			config, strings.Join(backends.List(), ", "), hint)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("transformer: GoMLX backend %q: %v", config, r)
		}
	}()
	b, err = backends.NewWithConfig(config)
	if err != nil {
		hint := ""
		if xlaCompiled && name != DefaultBackend {
			hint = " (PJRT plugins are searched in $PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla and /usr/local/lib/go-xla; see scripts/gpu-check.sh)"
		}
		return nil, fmt.Errorf("transformer: GoMLX backend %q: %w%s", config, err, hint)
	}
	return b, nil
}

// EnvBackend builds the backend the environment chooses: $GOMLX_BACKEND,
// else the pure-Go one (BackendConfig with no config and no device). Tests
// use it so that scripts/gpu-check.sh runs them on xla:cuda unchanged.
func EnvBackend() (backends.Backend, error) {
	config, err := BackendConfig("", "")
	if err != nil {
		return nil, err
	}
	return NewBackend(config)
}
