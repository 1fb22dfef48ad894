package cli

// The score subcommand: trec_eval's command line (harness/treceval is the
// library that reads and scores; this is only its argument parser and exit
// codes).

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mimo-mlir/mimo/harness/treceval"
)

// scoreUsage is printed on a command-line error of `mimo-eval score`.
const scoreUsage = `usage: score [-q] [-c] [-n] [-J] [-l level] [-M max] [-m measure[.params]]... QRELS RUN
  -q  print each query's values, then the average ("all")
  -c  average over every query of the qrels (missing ones score 0)
  -n  no summary ("all") lines
  -J  evaluate judged documents only
  -l  relevance level: judgments >= level are relevant (default 1)
  -M  evaluate at most this many documents per query (default 2147483647;
      0 evaluates none)
  -m  measure, as trec_eval spells it: map, ndcg, recip_rank, num_q, num_ret,
      num_rel, num_rel_ret, gm_map, Rprec, bpref, runid, P.k1,k2,
      recall.k, ndcg_cut.k, map_cut.k, success.k, iprec_at_recall.r, official
`

// scoreArgs are the parsed command line of `mimo-eval score`.
type scoreArgs struct {
	Options  treceval.Options
	Measures []string
	Qrels    string
	Run      string
}

// parseScoreArgs parses trec_eval's command line (getopt style: flags may be
// grouped as -qc, values attached as -mP.10 or separate, long forms
// --query_eval_wanted, --measure=..., options may follow the file names,
// "--" ends options).
func parseScoreArgs(args []string) (*scoreArgs, error) {
	a := &scoreArgs{Options: treceval.DefaultOptions()}
	var pos []string
	long := map[string]byte{
		"query_eval_wanted": 'q', "measure": 'm', "complete_rel_info_wanted": 'c',
		"level_for_rel": 'l', "nosummary": 'n', "Judged_docs_only": 'J',
		"Max_retrieved_per_topic": 'M',
	}
	takesValue := map[byte]bool{'m': true, 'l': true, 'M': true}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
			continue
		case strings.HasPrefix(arg, "--"):
			name, val, hasVal := strings.Cut(arg[2:], "=")
			c, ok := long[name]
			if !ok {
				return nil, fmt.Errorf("score: unknown option %s", arg)
			}
			if takesValue[c] && !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("score: option %s needs a value", arg)
				}
				i++
				val = args[i]
			}
			if err := a.set(c, val); err != nil {
				return nil, err
			}
			continue
		case len(arg) < 2 || arg[0] != '-':
			pos = append(pos, arg)
			continue
		}
		for j := 1; j < len(arg); j++ {
			c := arg[j]
			if !takesValue[c] {
				if err := a.set(c, ""); err != nil {
					return nil, err
				}
				continue
			}
			val := arg[j+1:]
			if val == "" {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("score: option -%c needs a value", c)
				}
				i++
				val = args[i]
			}
			if err := a.set(c, val); err != nil {
				return nil, err
			}
			break
		}
	}
	if len(pos) != 2 {
		return nil, fmt.Errorf("score: want exactly two files, QRELS and RUN, got %d", len(pos))
	}
	a.Qrels, a.Run = pos[0], pos[1]
	return a, nil
}

func (a *scoreArgs) set(c byte, val string) error {
	switch c {
	case 'q':
		a.Options.PerQuery = true
	case 'c':
		a.Options.Complete = true
	case 'n':
		a.Options.NoSummary = true
	case 'J':
		a.Options.JudgedOnly = true
	case 'l':
		a.Options.RelevanceLevel = treceval.Atol(val)
	case 'M':
		a.Options.MaxDocs = treceval.Atol(val)
		return a.Options.Check()
	case 'm':
		a.Measures = append(a.Measures, val)
	default:
		return fmt.Errorf("score: unknown option -%c", c)
	}
	return nil
}

// score runs `mimo-eval score` on its arguments (after "score") and
// returns the process exit status: 0 on success, 1 for a usage error, 2 for
// unreadable or malformed input, 7 when no query has both results and
// qrels (trec_eval's codes).
func score(args []string, stdout, stderr io.Writer) int {
	a, err := parseScoreArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n%s", err, scoreUsage)
		return 1
	}
	ms, err := treceval.ParseMeasures(a.Measures)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	qrels, err := treceval.ReadQrels(a.Qrels)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	rep, err := treceval.ScoreFile(qrels, a.Run, ms, a.Options)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, treceval.ErrNoQueries) {
			return 7
		}
		return 2
	}
	if err := rep.Write(stdout, a.Options.PerQuery, a.Options.NoSummary); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	return 0
}
