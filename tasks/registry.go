package tasks

import (
	"fmt"
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

// Select resolves a comma-separated task selection, as MTEB's get_tasks does:
// each item is a task name (case-insensitive, with or without the
// "Retrieval" suffix) or a group ("mlir", "miracl", "mini", "all").
// The result keeps registry order and has no duplicates.
func Select(spec string) ([]Task, error) {
	all := All()
	seen := map[string]bool{}
	var out []Task
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
			name := strings.ToLower(m.Name)
			if l == "all" && m.Group != "mini" || l == strings.ToLower(m.Group) ||
				l == name || l+"retrieval" == name {
				add(t)
				matched = true
			}
		}
		if !matched {
			names := make([]string, 0, len(all))
			for _, t := range all {
				names = append(names, t.Metadata().Name)
			}
			return nil, fmt.Errorf("unknown task or group %q (groups: mlir, miracl, mini, all; tasks: %s)", item, strings.Join(names, ", "))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no task selected by %q", spec)
	}
	return out, nil
}
