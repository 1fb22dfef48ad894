// Package archtest holds the architecture's import rules as a test: the
// folder layout tells the architecture (README.md, "Layout"), and this test
// keeps the arrows between the folders pointing the way that page says.
// It reads `go list` for every package of the module (non-test imports).
package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/mimo-mlir/mimo"

type pkg struct {
	path, name string
	imports    []string
}

func list(t *testing.T) []pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Name}} {{join .Imports \" \"}}", module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	var ps []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		p := pkg{path: strings.TrimPrefix(f[0], module+"/"), name: f[1]}
		for _, imp := range f[2:] {
			if rest, ok := strings.CutPrefix(imp, module+"/"); ok {
				p.imports = append(p.imports, rest)
			}
		}
		ps = append(ps, p)
	}
	if len(ps) < 20 {
		t.Fatalf("go list found %d packages: not the module", len(ps))
	}
	return ps
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// TestImportRules: each rule names the packages it covers and the folders
// they must not import.
func TestImportRules(t *testing.T) {
	rules := []struct {
		name   string
		covers func(string) bool
		banned []string
		allow  func(imp string) bool // nil: everything not banned
	}{
		{"model adapters know no tasks", func(p string) bool { return under(p, "adapters") }, []string{"tasks"}, nil},
		{"tasks know no models or training", func(p string) bool { return under(p, "tasks") }, []string{"adapters", "training", "harness", "reports"}, nil},
		{"the Hub client knows no tasks, models or engine", func(p string) bool { return under(p, "hub") },
			[]string{"tasks", "adapters", "harness", "training", "reports", "results"}, nil},
		{"reports read results, not the engine", func(p string) bool { return under(p, "reports") }, nil,
			func(imp string) bool { return under(imp, "results") || under(imp, "lang") || under(imp, "internal") }},
		{"results is a leaf", func(p string) bool { return under(p, "results") }, nil,
			func(imp string) bool { return under(imp, "internal") }},
		{"lang is a leaf", func(p string) bool { return under(p, "lang") }, nil, func(string) bool { return false }},
		{"progress is a leaf", func(p string) bool { return under(p, "progress") }, nil, func(string) bool { return false }},
		{"training is a client of transformer/, not of an encoder's parts", func(p string) bool { return under(p, "training") },
			[]string{"adapters/native", "adapters/onnx", "cmd", "reports", "harness"}, nil},
		{"the transformer model knows no training, tasks or engine", func(p string) bool { return under(p, "transformer") },
			[]string{"training", "tasks", "harness", "reports", "cmd", "adapters/native"}, nil},
		{"the engine knows no command line or report", func(p string) bool { return under(p, "harness") },
			[]string{"cmd", "reports", "training"}, nil},
		// internal/tinymodel is the tests' loader of the committed tiny
		// model and its goldens: test support, which may name a Folder.
		{"internal helpers know no domain", func(p string) bool {
			return under(p, "internal") && !under(p, "internal/cmd") && !under(p, "internal/archtest") && !under(p, "internal/tinymodel")
		},
			[]string{"adapters", "tasks", "harness", "training", "reports", "cmd"}, nil},
		{"nothing imports a command", func(string) bool { return true }, []string{"cmd", "internal/cmd"}, nil},
	}
	ps := list(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			n := 0
			for _, p := range ps {
				if !r.covers(p.path) {
					continue
				}
				n++
				for _, imp := range p.imports {
					bad := r.allow != nil && !r.allow(imp)
					for _, b := range r.banned {
						// A command's own sub-packages (cmd/mimo-eval/cli) are its own.
						if under(imp, b) && !(b == "cmd" && under(p.path, "cmd")) {
							bad = true
						}
					}
					if bad {
						t.Errorf("%s imports %s", p.path, imp)
					}
				}
			}
			if n == 0 {
				t.Errorf("rule covers no package: the layout moved, update the rule")
			}
		})
	}
}

// TestProgramsHaveOneHome: every program (package main) lives under cmd/
// or internal/cmd/, and no command line (a package named cli) sits outside
// cmd/.
func TestProgramsHaveOneHome(t *testing.T) {
	for _, p := range list(t) {
		if p.name == "main" && !under(p.path, "cmd") && !under(p.path, "internal/cmd") {
			t.Errorf("program %s outside cmd/ and internal/cmd/", p.path)
		}
		if strings.HasSuffix(p.path, "/cli") && !under(p.path, "cmd") {
			t.Errorf("command line %s outside cmd/", p.path)
		}
	}
}
