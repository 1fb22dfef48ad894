package cli

import "testing"

// TestDeclaredTrainingData: mimo-eval takes a registered Hub model's
// declared training datasets from the known registry, whatever the
// spelling of the spec, and none for a local folder or an unknown model.
func TestDeclaredTrainingData(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want bool
	}{
		{"multilingual-e5-large", true},
		{"hf:intfloat/multilingual-e5-large", true},
		{"hf:intfloat/multilingual-e5-large@main", true},
		{"hf:BAAI/bge-m3", true},
		{"hf:someone/unknown-model", false},
		{"xlm-roberta-large", false},
		{t.TempDir(), false},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			d := declaredTrainingData(tc.spec)
			if _, got := d["MIRACLRetrievalHardNegatives"]; got != tc.want {
				t.Errorf("declares MIRACLRetrievalHardNegatives = %v, want %v (%d datasets)", got, tc.want, len(d))
			}
		})
	}
}
