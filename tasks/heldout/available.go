package heldout

import (
	"fmt"

	"github.com/mimo-mlir/mimo/tasks"
)

// Available implements tasks.Checker: the held-out split needs the local
// XQuAD release, which a machine without the shared data lacks.
func (t Task) Available() error {
	if t.Dir != "" {
		if !hasXQuAD(t.Dir) {
			return fmt.Errorf("%s: %s has no xquad.en.json: %w", Name, t.Dir, tasks.ErrNotFound)
		}
		return nil
	}
	_, err := Locate()
	return err
}
