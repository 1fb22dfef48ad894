package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/tasks"
)

// absentTask is a task whose data is never here.
type absentTask struct{ name, group string }

func (a absentTask) Metadata() tasks.Metadata {
	return tasks.Metadata{Name: a.name, Group: a.group, MainScore: "ndcg_at_10"}
}
func (a absentTask) Load(context.Context, tasks.LoadOptions) ([]tasks.Dataset, error) {
	return nil, a.Available()
}
func (a absentTask) Available() error {
	return errors.New(a.name + ": files missing: " + tasks.ErrNotFound.Error())
}

type presentTask struct{ absentTask }

func (presentTask) Available() error { return nil }

func init() {
	tasks.Register(absentTask{"CliTestAbsent", "cliavail"})
	tasks.Register(presentTask{absentTask{"CliTestPresent", "cliavail"}})
}

func TestResolveTasksSkipsAbsentDataOnlyWhenSelectedByGroup(t *testing.T) {
	for _, tc := range []struct {
		spec      string
		wantNames []string
		wantErr   string
		wantNote  string
	}{
		{spec: "cliavail", wantNames: []string{"CliTestPresent"}, wantNote: "skipping CliTestAbsent"},
		{spec: "CliTestAbsent", wantErr: "files missing"},
		{spec: "cliavail,clitestabsent", wantErr: "files missing"},
		{spec: "CliTestPresent", wantNames: []string{"CliTestPresent"}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			var stderr bytes.Buffer
			ts, err := resolveTasks(tc.spec, true, "", &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, x := range ts {
				names = append(names, x.Metadata().Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.wantNames, ",") {
				t.Errorf("tasks %v, want %v", names, tc.wantNames)
			}
			if !strings.Contains(stderr.String(), tc.wantNote) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.wantNote)
			}
		})
	}
}
