package tasks

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

var (
	regMu    sync.RWMutex
	registry = map[string]Task{}
)

// Register adds a task to the registry under its Metadata().Name. Builders
// register themselves from init().
func Register(t Task) {
	regMu.Lock()
	defer regMu.Unlock()
	name := t.Metadata().Name
	if _, dup := registry[name]; dup {
		panic("tasks: task registered twice: " + name)
	}
	registry[name] = t
}

// All returns every registered task, sorted by name.
func All() []Task {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Task, 0, len(registry))
	for _, t := range registry {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata().Name < out[j].Metadata().Name })
	return out
}

// Match reports whether a selection item names the task: its name or one
// of its aliases, case-insensitive, with the "Retrieval" or "MLIR" suffix
// optional ("xquad", "XQuADMLIR", "xquadretrieval"). alias is true when
// the item named the task through an alias only. It is the one name
// matcher (Select, builders.New and the command line use it).
func Match(item string, m Metadata) (ok, alias bool) {
	l := strings.ToLower(strings.TrimSpace(item))
	if l == "" {
		return false, false
	}
	is := func(name string) bool {
		n := strings.ToLower(name)
		return l == n || l+"retrieval" == n || l+"mlir" == n
	}
	if is(m.Name) {
		return true, false
	}
	for _, a := range m.Aliases {
		if is(a) {
			return true, true
		}
	}
	return false, false
}

// AliasNote is the one line said when a selection item named a task by an
// old name.
func AliasNote(item string, m Metadata) string {
	return fmt.Sprintf("note: task %q is now %s; results are written under %s (docs/decisions.md, \"Task names\")", item, m.Name, m.Name)
}

// Select resolves a comma-separated task selection (see SelectNotes),
// dropping the notes.
func Select(spec string) ([]Task, error) {
	ts, _, err := SelectNotes(spec)
	return ts, err
}

// notInAll are the groups "all" leaves out: the embedded mini benchmark
// (a toy) and MIRACL's release with its full corpora (tens of millions of
// passages: named, it runs).
var notInAll = []string{"mini", "miracl-release"}

// SelectNotes resolves a comma-separated task selection, as MTEB's
// get_tasks does: each item is a task name (see Match: case-insensitive,
// "Retrieval" or "MLIR" optional, old names as aliases) or a group
// ("mlir", "miracl", "miracl-release", "mini", "all": every group but those
// in notInAll). The result keeps registry order and
// has no duplicates; notes holds one line per item that named a task by
// an alias.
func SelectNotes(spec string) ([]Task, []string, error) {
	all := All()
	seen := map[string]bool{}
	var out []Task
	var notes []string
	add := func(t Task) {
		if n := t.Metadata().Name; !seen[n] {
			seen[n] = true
			out = append(out, t)
		}
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		l := strings.ToLower(item)
		matched := false
		for _, t := range all {
			m := t.Metadata()
			ok, alias := Match(item, m)
			group := l == "all" && !slices.Contains(notInAll, m.Group) || l == strings.ToLower(m.Group)
			if group || ok {
				add(t)
				matched = true
				if ok && alias && !group {
					notes = append(notes, AliasNote(item, m))
				}
			}
		}
		if !matched {
			names := make([]string, 0, len(all))
			for _, t := range all {
				names = append(names, t.Metadata().Name)
			}
			return nil, nil, fmt.Errorf("unknown task or group %q (groups: mlir, miracl, miracl-release, mini, all; tasks: %s)", item, strings.Join(names, ", "))
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("no task selected by %q", spec)
	}
	return out, notes, nil
}
