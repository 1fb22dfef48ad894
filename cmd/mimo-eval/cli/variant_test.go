package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/results"
)

// TestVariantFlag: --variant reaches the builders (MLQA's dev split from
// the release layout, Belebele's Arabic), is recorded in the results'
// settings, makes a stored result of another variant stale, and refuses a
// key or value no builder reads.
func TestVariantFlag(t *testing.T) {
	out := t.TempDir()
	args := []string{"-m", "lexical", "--tasks", "belebele", "--langs", "ar,en", "--source", builderFixtures,
		"--output", out, "--no-cache", "--variant", "belebele_arabic=arb_Arab"}
	if code, _, stderr := run(args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	x, err := results.ReadExtras(filepath.Join(out, "lexical", "1", results.ExtrasDir, "BelebeleMLIR.json"))
	if err != nil {
		t.Fatal(err)
	}
	if x.Settings.Variant["belebele_arabic"] != "arb_Arab" {
		t.Errorf("settings.variant = %v, want belebele_arabic=arb_Arab", x.Settings.Variant)
	}
	// The same output without the variant: the stored result is another
	// variant's, and is not reused silently.
	code, _, stderr := run(args[:len(args)-2]...)
	if code == 0 || !strings.Contains(stderr, `variant "belebele_arabic=arb_Arab", now ""`) {
		t.Errorf("rerun without --variant: exit %d, stderr %s; want the stale variant named", code, stderr)
	}
	for _, c := range []struct{ spec, want string }{
		{"belebele_arabic=ary_Arab", "want one of acm_Arab, arb_Arab"},
		{"colour=red", "KEY one of belebele_arabic, mlqa_split"},
		{"mlqa_split=dev,mlqa_split=test", "given twice"},
	} {
		code, _, stderr := run("stats", "--tasks", "mlqa", "--source", builderFixtures, "--variant", c.spec)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("--variant %s: exit %d, stderr %s; want 2 and %q", c.spec, code, stderr, c.want)
		}
	}
	code, stdout, stderr := run("stats", "--tasks", "belebele", "--langs", "ar", "--source", builderFixtures, "--variant", "belebele_arabic=arb_Arab")
	if code != 0 || !strings.Contains(stdout, "BelebeleMLIR") {
		t.Errorf("stats with a variant: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestEngineFlagChecked: an --engine no encoder knows is a usage error
// whatever the model, not ignored by the kinds that have one engine.
func TestEngineFlagChecked(t *testing.T) {
	code, _, stderr := run("-m", "lexical", "--tasks", "mini", "--output", t.TempDir(), "--no-cache", "--engine", "turbo")
	if code != 2 || !strings.Contains(stderr, `--engine "turbo": want onnxruntime or gomlx`) {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}
