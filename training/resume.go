package training

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mimo-mlir/mimo/training/gradcache"
)

// ResumeMayChange lists the configuration keys a resumed run may set to
// other values than the checkpoint's, with why. They say how, where or how
// visibly the run computes, never what it trains: the data, the student,
// the teacher, the method, the seed, every hyper-parameter and the number of
// steps (which sets the learning-rate schedule) must stay. Backend and
// mini_batch change the floating-point order (and mini_batch the dropout
// draws), so a run resumed with another value is a valid continuation but
// not bit-identical to an uninterrupted one: Train notes it.
var ResumeMayChange = map[string]string{
	"resume":           "",
	"overwrite":        "",
	"quiet":            "",
	"output":           "the folder may have moved",
	"checkpoint_every": "",
	"name":             "the model folder's name only",
	"backend":          "numerics",
	"mini_batch":       "numerics",
	"device_execution": "numerics",
}

// FieldChange is one configuration key whose value differs.
type FieldChange struct {
	Key      string // config-file key, dotted for nested ones: "stage2.lr"
	Old, New string // JSON values; "(unset)" when absent
}

func (f FieldChange) String() string { return fmt.Sprintf("%s %s -> %s", f.Key, f.Old, f.New) }

// ConfigChangedError is a resume whose configuration differs from the
// checkpoint's in keys that must not change.
type ConfigChangedError struct {
	Checkpoint string
	Changes    []FieldChange
}

func (e *ConfigChangedError) Error() string {
	var ch []string
	for _, c := range e.Changes {
		ch = append(ch, c.String())
	}
	return fmt.Sprintf("resume: the configuration differs from the one %s was written with: %s. "+
		"A resumed run keeps its configuration (only %s may change): give the old values again, or start over with --overwrite",
		e.Checkpoint, strings.Join(ch, "; "), strings.Join(slices.Sorted(maps.Keys(ResumeMayChange)), ", "))
}

// diffConfig compares the checkpoint's configuration with the run's, key by
// key (the JSON keys of Config, nested ones dotted), and splits the
// differences into refused ones and allowed ones (ResumeMayChange). A
// student fetched from the Hub is compared by StudentFrom (repo@commit),
// not by the snapshot folder it was resolved to.
func diffConfig(old, cur Config) (refused, allowed []FieldChange) {
	for _, c := range []*Config{&old, &cur} { // keys a checkpoint may predate
		if c.DType == "" {
			c.DType = DTypeF32
		}
		if c.Devices == 0 {
			c.Devices = 1
		}
		if c.BatchMode == "" {
			c.BatchMode = BatchGlobal
		}
		if c.DeviceExecution == "" { // before the key, every run was sequential
			c.DeviceExecution = string(gradcache.Sequential)
		}
	}
	o, n := flatConfig(old), flatConfig(cur)
	if old.StudentFrom != "" && cur.StudentFrom != "" {
		delete(o, "student")
		delete(n, "student")
	}
	keys := slices.Sorted(maps.Keys(o))
	for k := range n {
		if _, ok := o[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		ov, ok1 := o[k]
		nv, ok2 := n[k]
		if ok1 && ok2 && ov == nv {
			continue
		}
		fc := FieldChange{Key: k, Old: "(unset)", New: "(unset)"}
		if ok1 {
			fc.Old = ov
		}
		if ok2 {
			fc.New = nv
		}
		if _, may := ResumeMayChange[k]; may {
			allowed = append(allowed, fc)
		} else {
			refused = append(refused, fc)
		}
	}
	return refused, allowed
}

// flatConfig is c as JSON, one compact JSON value per key (objects are
// flattened with dotted keys; lists stay whole).
func flatConfig(c Config) map[string]string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // Config holds only plain values
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]json.RawMessage)
	walk = func(prefix string, m map[string]json.RawMessage) {
		for k, v := range m {
			if bytes.HasPrefix(v, []byte("{")) {
				var sub map[string]json.RawMessage
				if json.Unmarshal(v, &sub) == nil {
					walk(prefix+k+".", sub)
					continue
				}
			}
			out[prefix+k] = string(v)
		}
	}
	walk("", m)
	return out
}
