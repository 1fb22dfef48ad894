package backend

import "testing"

func TestConfig(t *testing.T) {
	t.Setenv(EnvVar, "")
	t.Setenv("GOMLX_BACKEND", "")
	cases := []struct{ in, want string }{
		{"", "go:ops_sequential"},
		{"go", "go:ops_sequential"},
		{"go:parallelism=2", "go:parallelism=2,ops_sequential"},
		{"go:ops_parallel", "go:ops_parallel"},
		{"xla:cuda", "xla:cuda"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := Config(c.in); got != c.want {
				t.Fatalf("Config(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	t.Setenv(EnvVar, "go:parallelism=1")
	if got := Config(""); got != "go:parallelism=1,ops_sequential" {
		t.Fatalf("env: %q", got)
	}
	if _, err := New("nosuch"); err == nil {
		t.Fatal("unknown backend accepted")
	}
	b, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	b.Finalize()
}
