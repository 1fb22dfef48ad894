// Package catalog links in every task mimo-eval offers: importing it
// registers the paper's benchmarks (tasks/builders), the embedded mini
// benchmark (tasks/mini) and the held-out XQuAD split (tasks/heldout; both
// in group "mini", the default --tasks; the split is skipped with a note
// when ../shared/data is absent) with the task registry (tasks.Register).
// It is the one list of task packages: a program imports it, blank,
// instead of naming them.
package catalog

import (
	_ "github.com/mimo-mlir/mimo/tasks/builders"
	_ "github.com/mimo-mlir/mimo/tasks/heldout"
	_ "github.com/mimo-mlir/mimo/tasks/mini"
)
