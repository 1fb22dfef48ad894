package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// mMARCO (unicamp-dl/mmarco) ships one translation of MS MARCO per
// language, named by English language names, in this layout:
//
//	DIR/queries/train/<name>_queries.train.tsv    qid <TAB> query
//	DIR/collections/<name>_collection.tsv         pid <TAB> passage
//
// and the training pairs come from MS MARCO's qrels.train.tsv
// ("qid 0 pid 1", tab- or space-separated) or any "qid <TAB> pid" file.
// ReadMMARCO joins them into parallel rows: one per (qid, pid) pair, with the
// query and its positive in every requested language. Only the needed ids
// are kept in memory while the (large) collections stream by.
var mmarcoNames = map[string]string{
	"ar": "arabic", "de": "german", "nl": "dutch", "en": "english", "es": "spanish", "fr": "french",
	"hi": "hindi", "id": "indonesian", "it": "italian", "ja": "japanese", "pt": "portuguese",
	"ru": "russian", "vi": "vietnamese", "zh": "chinese",
}

// ReadMMARCO reads the pairs file and the mMARCO files of langs under dir.
// Pairs whose query or passage is missing in any language are dropped (the
// count is returned); a malformed line is an error naming file and line.
func ReadMMARCO(dir, pairsPath string, langs []string) (rows []ParallelRow, dropped int, err error) {
	type pair struct{ qid, pid string }
	var pairs []pair
	seen := map[pair]bool{}
	qids, pids := map[string]bool{}, map[string]bool{}
	err = lines(pairsPath, func(n int, line string) error {
		f := strings.Fields(line)
		var p pair
		switch len(f) {
		case 0:
			return nil
		case 2:
			p = pair{f[0], f[1]}
		case 4:
			if f[3] == "0" {
				return nil // not relevant
			}
			p = pair{f[0], f[2]}
		default:
			return fmt.Errorf("%s:%d: want \"qid pid\" or \"qid 0 pid rel\", got %d fields", pairsPath, n, len(f))
		}
		if !seen[p] {
			seen[p] = true
			pairs = append(pairs, p)
			qids[p.qid], pids[p.pid] = true, true
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("mmarco: %w", err)
	}
	queries := map[string]map[string]string{} // lang -> qid -> text
	passages := map[string]map[string]string{}
	for _, l := range langs {
		l = NormalizeLang(l)
		name, ok := mmarcoNames[l]
		if !ok {
			return nil, 0, fmt.Errorf("mmarco: no mMARCO translation for language %q", l)
		}
		qp := filepath.Join(dir, "queries", "train", name+"_queries.train.tsv")
		cp := filepath.Join(dir, "collections", name+"_collection.tsv")
		if queries[l], err = readIDText(qp, qids); err != nil {
			return nil, 0, fmt.Errorf("mmarco: %w", err)
		}
		if passages[l], err = readIDText(cp, pids); err != nil {
			return nil, 0, fmt.Errorf("mmarco: %w", err)
		}
	}
	for _, p := range pairs {
		r := ParallelRow{ID: p.qid + "-" + p.pid, Query: map[string]string{}, Positive: map[string]string{}}
		ok := true
		for l := range queries {
			q, d := queries[l][p.qid], passages[l][p.pid]
			if q == "" || d == "" {
				ok = false
				break
			}
			r.Query[l], r.Positive[l] = q, d
		}
		if !ok {
			dropped++
			continue
		}
		rows = append(rows, r)
	}
	return rows, dropped, nil
}

// readIDText reads "id <TAB> text" lines (optionally .gz), keeping ids in want.
func readIDText(path string, want map[string]bool) (map[string]string, error) {
	if _, err := os.Stat(path); err != nil {
		if gz := path + ".gz"; fileExists(gz) {
			path = gz
		} else {
			return nil, err
		}
	}
	out := map[string]string{}
	err := lines(path, func(n int, line string) error {
		id, text, ok := strings.Cut(line, "\t")
		if !ok {
			if strings.TrimSpace(line) == "" {
				return nil
			}
			return fmt.Errorf("%s:%d: want id<TAB>text", path, n)
		}
		if want[id] {
			out[id] = strings.TrimSpace(text)
		}
		return nil
	})
	return out, err
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
