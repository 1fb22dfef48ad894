package native_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
	_ "github.com/mimo-mlir/mimo/adapters/native"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/internal/tinymodel"
)

// TestNativeEqualsONNXRuntime runs the same tiny model through ONNX Runtime
// (model.onnx, kind "onnx") and through the GoMLX graph (model.safetensors,
// kind "native") on texts of many scripts, roles and lengths, and requires
// the same vectors. Skipped when the ONNX Runtime library is absent.
func TestNativeEqualsONNXRuntime(t *testing.T) {
	if _, err := onnx.FindLibrary(""); err != nil {
		t.Skipf("ONNX Runtime library not found (make ort): %v", err)
	}
	dir := filepath.Join("..", "onnx", "testdata", "tiny-xlmr")
	ortFolder, err := adapters.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	nativeFolder := ortFolder
	nativeFolder.Kind = "native"
	texts := []string{
		"Nobody is going to hurt you.", "他去義大利的目的是學習音樂。", "彼は彼の人生の話を私にしてくれた。",
		"لن يسيء لكن أحد.", "फ़ेसबुक पर हमें लाइक करें!", "Она усовершенствовала искусство обращения со сложными клиентами.",
		"x", "Chúng tôi sống ở nông thôn trong suốt mùa hè. Chúng tôi sống ở nông thôn trong suốt mùa hè. Chúng tôi sống ở nông thôn.",
	}
	for _, pooling := range []string{"mean", "cls"} {
		ortFolder.Pooling, nativeFolder.Pooling = pooling, pooling
		ctx := context.Background()
		ort, err := adapters.OpenFolder(ctx, ortFolder, adapters.Options{BatchSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		nat, err := adapters.OpenFolder(ctx, nativeFolder, adapters.Options{BatchSize: 3, Engine: adapters.EngineGoMLX})
		if err != nil {
			ort.Close()
			t.Fatal(err)
		}
		t.Run(pooling, func(t *testing.T) { tinymodel.SameVectors(t, ort, nat, texts, 1e-5) })
		if got, want := nat.Identity().Dim, ort.Identity().Dim; got != want {
			t.Errorf("dim: native %d, onnx %d", got, want)
		}
		ort.Close()
		nat.Close()
	}
}

// BenchmarkTinyONNXvsNative encodes the same 64 texts with the onnx kind
// (the committed model.onnx), the native kind on the GoMLX graph, and the
// native kind's default engine (ONNX Runtime on its cached export), for the
// ratio of the pure-Go GoMLX backend to ONNX Runtime on CPU.
func BenchmarkTinyONNXvsNative(b *testing.B) {
	if _, err := onnx.FindLibrary(""); err != nil {
		b.Skipf("ONNX Runtime library not found (make ort): %v", err)
	}
	f, err := adapters.ReadFolder(filepath.Join("..", "onnx", "testdata", "tiny-xlmr"))
	if err != nil {
		b.Fatal(err)
	}
	base := []string{"Nobody is going to hurt you.", "他去義大利的目的是學習音樂。", "Она усовершенствовала искусство обращения со сложными клиентами.", "Je déteste la chimie."}
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = base[i%len(base)]
	}
	exports := b.TempDir()
	for _, c := range []struct{ name, kind, engine string }{
		{"onnx", "onnx", ""}, {"native-gomlx", "native", adapters.EngineGoMLX}, {"native-default", "native", adapters.EngineAuto},
	} {
		b.Run(c.name, func(b *testing.B) {
			f.Kind = c.kind
			enc, err := adapters.OpenFolder(context.Background(), f, adapters.Options{BatchSize: 32, Engine: c.engine, ExportDir: exports})
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			req := adapters.Request{Role: adapters.RoleDocument, Texts: texts}
			if _, err := enc.Encode(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := enc.Encode(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}
