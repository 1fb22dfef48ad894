package harness

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/internal/pathsafe"
)

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// RunLine formats one line of a TREC run: "qid Q0 docid rank score tag".
// The score is written with the shortest representation that reads back to
// the same float32, so re-scoring the file reproduces our ties exactly.
func RunLine(qid, docID string, rank int, score float32, tag string) string {
	return qid + " Q0 " + docID + " " + strconv.Itoa(rank) + " " +
		strconv.FormatFloat(float64(score), 'g', -1, 32) + " " + tag
}

// runPath expands the RunFile template. The template is the user's; the
// values put into it come from task definitions and must each stay one path
// component.
func runPath(tmpl, task, split, subset string) (string, error) {
	for _, v := range [][2]string{{"task name", task}, {"split", split}, {"subset", subset}} {
		if err := pathsafe.Component(v[0], v[1]); err != nil {
			return "", err
		}
	}
	r := strings.NewReplacer("{task}", task, "{split}", split, "{subset}", subset)
	return r.Replace(tmpl), nil
}
