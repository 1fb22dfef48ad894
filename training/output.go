package training

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/internal/filelock"
	textlines "github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/training/checkpoint"
)

// The output folder of a run holds, besides the lock file and the teacher
// cache (OUTPUT/teacher unless --teacher-cache says otherwise), only files
// mimo-train writes: the checkpoint and the one before it, the log, and the
// model folder. Those are the files --overwrite removes; anything else there
// is the user's and is never touched.
const (
	// TeacherDir is the default teacher cache folder inside the output
	// folder. It is a cache (keyed by the teacher's identity and the texts;
	// appending another teacher's vectors is refused), so neither the
	// emptiness check nor --overwrite counts it.
	TeacherDir = "teacher"
	// ConfigFile is the model folder's record of the run's configuration.
	ConfigFile = "training.json"
)

// modelFiles are the names writeStudentFolder writes (transformer.WriteFolder and training.json).
var modelFiles = []string{"model.safetensors", "config.json", "tokenizer.json", adapters.FolderFile, ConfigFile}

// ownFiles are the names mimo-train writes in an output folder.
func ownFiles() []string {
	return append([]string{CheckpointFile, CheckpointFile + checkpoint.PrevSuffix, LogFile}, modelFiles...)
}

// ownTemp reports whether name is a temporary file of one of ours, left by
// a process killed while it wrote (atomicfile and checkpoint write
// ".NAME.tmp…" beside NAME).
func ownTemp(name string) bool {
	for _, f := range ownFiles() {
		if strings.HasPrefix(name, "."+f+".tmp") {
			return true
		}
	}
	return false
}

// lockOutput creates the output folder and takes its lock: one trainer per
// folder. Another holder is a *filelock.HeldError naming its pid.
func lockOutput(dir string) (*filelock.Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("training: output folder: %w", err)
	}
	l, err := filelock.Acquire(filepath.Join(dir, LockFile))
	var held *filelock.HeldError
	if errors.As(err, &held) {
		return nil, fmt.Errorf("training: output folder %s is in use by another training run: %w; wait for it to end or choose another --output", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("training: output folder: %w", err)
	}
	return l, nil
}

// prepareOutput checks the locked output folder before a run writes to it:
// a fresh run (neither Resume nor Overwrite) needs a folder without files
// (the lock and the teacher cache aside); Overwrite removes mimo-train's own
// files, refusing to remove one the run reads; every mode removes the
// temporary files a killed process left.
func (r *Run) prepareOutput() error {
	c := r.Cfg
	entries, err := os.ReadDir(c.Output)
	if err != nil {
		return fmt.Errorf("training: output folder: %w", err)
	}
	var ours, temps, others []string
	for _, e := range entries {
		switch n := e.Name(); {
		case n == LockFile || (n == TeacherDir && e.IsDir()):
		case ownTemp(n):
			temps = append(temps, n)
		case slices.Contains(ownFiles(), n) && !e.IsDir():
			ours = append(ours, n)
		default:
			others = append(others, n)
		}
	}
	// The model folder's names are common ones: they are mimo-train's only
	// in a folder where it has trained (it holds its checkpoint or log).
	if !slices.ContainsFunc(ours, func(n string) bool { return !slices.Contains(modelFiles, n) }) && len(ours) > 0 {
		return fmt.Errorf("training: output folder %s holds %s but no %s or %s, so mimo-train did not write them; the run would replace them: "+
			"move them away or choose another --output", c.Output, listNames(ours), CheckpointFile, LogFile)
	}
	if !c.Resume && !c.Overwrite && len(ours)+len(temps)+len(others) > 0 {
		return fmt.Errorf("training: output folder %s is not empty (it holds %s): continue the run there with --resume, "+
			"start it afresh with --overwrite (which removes only mimo-train's own files: %s), or choose another --output",
			c.Output, listNames(append(append(ours, temps...), others...)), strings.Join(ownFiles(), ", "))
	}
	if c.Overwrite {
		if err := r.checkInputs(ours); err != nil {
			return err
		}
	} else {
		ours = nil
	}
	for _, n := range append(ours, temps...) {
		if err := os.Remove(filepath.Join(c.Output, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("training: --overwrite: %w", err)
		}
	}
	return nil
}

// checkInputs refuses to remove any of names (in the output folder) that is
// a file the run reads.
func (r *Run) checkInputs(names []string) error {
	c := r.Cfg
	type input struct{ path, flag string }
	var in []input
	if c.Student != "" {
		for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", PsiFile} {
			in = append(in, input{filepath.Join(c.Student, f), "--student"})
		}
	}
	if c.StudentConfig != "" {
		in = append(in, input{c.StudentConfig, "--student-config"})
	}
	if c.Tokenizer != "" {
		in = append(in, input{c.Tokenizer, "--tokenizer"})
	}
	for _, n := range names {
		p := filepath.Join(c.Output, n)
		pi, err := os.Stat(p)
		if err != nil {
			continue
		}
		for _, x := range in {
			if xi, err := os.Stat(x.path); err == nil && os.SameFile(pi, xi) {
				return fmt.Errorf("training: --overwrite would remove %s, which this run reads (%s %s): choose another --output", p, x.flag, x.path)
			}
		}
	}
	return nil
}

func listNames(names []string) string {
	if len(names) > 6 {
		return strings.Join(names[:6], ", ") + fmt.Sprintf(" and %d more", len(names)-6)
	}
	return strings.Join(names, ", ")
}

// truncateLog cuts the log at path back to the steps the checkpoint state
// st covers (every line of an earlier phase, and of st's phase up to
// st.Step), atomically, so that a resumed run appends exactly the lines an
// uninterrupted run writes. A torn last line (a process killed while it
// wrote) is dropped; any other line that is not a log line of this run is
// an error naming the file and line. It returns a note for the user, empty
// when there is nothing to say.
func truncateLog(path string, phases []phase, st State) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("training: log: %w", err)
	}
	keep, lines, dropped, torn := 0, 0, 0, false
	var gap string
	lastPhase, lastStep := -1, 0
	for off, n := 0, 1; off < len(b); n++ {
		end := bytes.IndexByte(b[off:], '\n')
		if end < 0 { // torn tail: no newline was written
			torn = true
			break
		}
		line := b[off : off+end]
		var l StepLog
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return "", fmt.Errorf("training: log %s:%d: not a log line (%w): move the file away to resume without it, or restart with --overwrite", path, n, err)
		}
		pi := slices.Index(phases, phase(l.Phase))
		if pi < 0 {
			return "", fmt.Errorf("training: log %s:%d: phase %q is not one of this run's %v: move the file away to resume without it, or restart with --overwrite", path, n, l.Phase, phases)
		}
		if pi > st.Phase || (pi == st.Phase && l.Step > st.Step) {
			dropped = bytes.Count(b[off:], []byte("\n"))
			torn = b[len(b)-1] != '\n'
			break
		}
		if gap == "" && !(pi == lastPhase && l.Step == lastStep+1) && !(pi > lastPhase && l.Step == 1) {
			gap = fmt.Sprintf("line %d (%s step %d) does not follow %s step %d", n, l.Phase, l.Step, phaseName(phases, lastPhase), lastStep)
		}
		lastPhase, lastStep = pi, l.Step
		off += end + 1
		keep, lines = off, lines+1
	}
	if gap == "" && ((st.Step > 0 && (lastPhase != st.Phase || lastStep != st.Step)) || (st.Step == 0 && lastPhase != st.Phase-1)) {
		gap = fmt.Sprintf("it ends at %s step %d", phaseName(phases, lastPhase), lastStep)
	}
	var note []string
	if keep < len(b) {
		if err := atomicfile.WriteFile(path, b[:keep], 0o644); err != nil {
			return "", fmt.Errorf("training: log: %w", err)
		}
		n := fmt.Sprintf("%s: kept %d lines, dropped %d the checkpoint does not cover", filepath.Base(path), lines, dropped)
		if torn {
			n += " and a torn last line"
		}
		note = append(note, n)
	}
	if gap != "" {
		note = append(note, fmt.Sprintf("%s does not hold every step before the checkpoint (%s): the log of the resumed run will not match an uninterrupted one's", filepath.Base(path), gap))
	}
	return strings.Join(note, "; "), nil
}

// ReadLog parses a training log (train-log.jsonl: one StepLog per line);
// an error names the line.
func ReadLog(r io.Reader) ([]StepLog, error) {
	var out []StepLog
	lr := textlines.NewReader(r, "training log", 1<<20) // a StepLog line is ~200 bytes
	for lr.Scan() {
		var l StepLog
		if err := json.Unmarshal(lr.Bytes(), &l); err != nil {
			return out, fmt.Errorf("training log line %d: %w", lr.Line(), err)
		}
		out = append(out, l)
	}
	return out, lr.Err()
}

func phaseName(phases []phase, i int) string {
	if i < 0 || i >= len(phases) {
		return "the start"
	}
	return string(phases[i])
}
