package treceval

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Usage is printed on a command-line error.
const Usage = `usage: score [-q] [-c] [-n] [-J] [-l level] [-M max] [-m measure[.params]]... QRELS RUN
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

// Args are the parsed command line.
type Args struct {
	Options  Options
	Measures []string
	Qrels    string
	Run      string
}

// ParseArgs parses trec_eval's command line (getopt style: flags may be
// grouped as -qc, values attached as -mP.10 or separate, long forms
// --query_eval_wanted, --measure=..., options may follow the file names,
// "--" ends options).
func ParseArgs(args []string) (*Args, error) {
	a := &Args{Options: DefaultOptions()}
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
				return nil, fmt.Errorf("treceval: unknown option %s", arg)
			}
			if takesValue[c] && !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("treceval: option %s needs a value", arg)
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
					return nil, fmt.Errorf("treceval: option -%c needs a value", c)
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
		return nil, fmt.Errorf("treceval: want exactly two files, QRELS and RUN, got %d", len(pos))
	}
	a.Qrels, a.Run = pos[0], pos[1]
	return a, nil
}

func (a *Args) set(c byte, val string) error {
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
		a.Options.RelevanceLevel = cAtol([]byte(val))
	case 'M':
		a.Options.MaxDocs = cAtol([]byte(val))
		return checkMaxDocs(a.Options.MaxDocs)
	case 'm':
		a.Measures = append(a.Measures, val)
	default:
		return fmt.Errorf("treceval: unknown option -%c", c)
	}
	return nil
}

// Main runs the scorer on a command line (without the program name) and
// returns the process exit status: 0 on success, 1 for a usage error, 2 for
// unreadable or malformed input, 7 when no query has both results and
// qrels (trec_eval's codes).
func Main(args []string, stdout, stderr io.Writer) int {
	a, err := ParseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n%s", err, Usage)
		return 1
	}
	ms, err := ParseMeasures(a.Measures)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	qrels, err := ReadQrels(a.Qrels)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	rep, err := ScoreFile(qrels, a.Run, ms, a.Options)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, ErrNoQueries) {
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
