package reports

import (
	"fmt"
	"sort"
	"strings"
)

// mtebTask is what a report needs to know of one of MTEB's own tasks to
// read its result files honestly: which metric main_score holds, which
// splits MTEB averages, and the full set of hf_subsets (so that a file
// covering only some of them is shown as partial, never averaged as if
// whole).
//
// Read from MTEB's task definitions (embeddings-benchmark/mteb,
// mteb/tasks/retrieval/multilingual/): belebele_retrieval.py @ 2bea8dc5,
// mlqa_retrieval.py @ 0d40c04c, x_qu_ad_retrieval.py @ 234cc7d6,
// miracl_retrieval.py @ b095c407, neu_clir2023_retrieval.py @ 25e1f7c5 and
// the NeuCLIR 2022 file beside it (docs/decisions.md, "Reading real MTEB
// result files").
type mtebTask struct {
	Name       string
	Dataset    string   // the Hugging Face dataset MTEB reads
	MainScore  string   // TaskMetadata.main_score
	EvalSplits []string // TaskMetadata.eval_splits, in MTEB's order
	Subsets    []string // the task's hf_subsets
}

var mtebTasks = map[string]mtebTask{}

func init() {
	miracl := []string{"ar", "bn", "de", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th", "yo", "zh"}
	neuclir := []string{"fas", "rus", "zho"}
	for _, t := range []mtebTask{
		{Name: "BelebeleRetrieval", Dataset: "mteb/belebele", MainScore: "ndcg_at_10", EvalSplits: []string{"test"}, Subsets: belebeleSubsets()},
		{Name: "MLQARetrieval", Dataset: "mteb/MLQARetrieval", MainScore: "ndcg_at_10", EvalSplits: []string{"validation", "test"}, Subsets: mlqaSubsets()},
		{Name: "XQuADRetrieval", Dataset: "google/xquad", MainScore: "ndcg_at_10", EvalSplits: []string{"validation"},
			Subsets: []string{"ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"}},
		{Name: "MIRACLRetrieval", Dataset: "mteb/MIRACLRetrieval", MainScore: "ndcg_at_10", EvalSplits: []string{"dev"}, Subsets: miracl},
		{Name: "MIRACLRetrievalHardNegatives", Dataset: "mteb/MIRACLRetrievalHardNegatives", MainScore: "ndcg_at_10", EvalSplits: []string{"dev"}, Subsets: miracl},
		{Name: "NeuCLIR2022Retrieval", Dataset: "mteb/NeuCLIR2022Retrieval", MainScore: "ndcg_at_20", EvalSplits: []string{"test"}, Subsets: neuclir},
		{Name: "NeuCLIR2022RetrievalHardNegatives", Dataset: "mteb/NeuCLIR2022RetrievalHardNegatives", MainScore: "ndcg_at_20", EvalSplits: []string{"test"}, Subsets: neuclir},
		{Name: "NeuCLIR2023Retrieval", Dataset: "mteb/NeuCLIR2023Retrieval", MainScore: "ndcg_at_20", EvalSplits: []string{"test"}, Subsets: neuclir},
		{Name: "NeuCLIR2023RetrievalHardNegatives", Dataset: "mteb/NeuCLIR2023RetrievalHardNegatives", MainScore: "ndcg_at_20", EvalSplits: []string{"test"}, Subsets: neuclir},
	} {
		mtebTasks[t.Name] = t
	}
}

// mtebRenamedTasks are the task names MTEB's reader renames when it loads
// a file from before v1.11 (task_result.py, renamed_tasks).
var mtebRenamedTasks = map[string]string{
	"NorwegianParliament": "NorwegianParliamentClassification",
	"CMedQAv2":            "CMedQAv2-reranking",
	"CMedQAv1":            "CMedQAv1-reranking",
	"8TagsClustering":     "EightTagsClustering",
	"PPC":                 "PpcPC",
}

// belebeleLangs are the 122 FLORES codes of MTEB's BelebeleRetrieval.
var belebeleLangs = strings.Fields(`acm_Arab afr_Latn als_Latn amh_Ethi apc_Arab arb_Arab arb_Latn ars_Arab
ary_Arab arz_Arab asm_Beng azj_Latn bam_Latn ben_Beng ben_Latn bod_Tibt bul_Cyrl cat_Latn ceb_Latn
ces_Latn ckb_Arab dan_Latn deu_Latn ell_Grek eng_Latn est_Latn eus_Latn fin_Latn fra_Latn fuv_Latn
gaz_Latn grn_Latn guj_Gujr hat_Latn hau_Latn heb_Hebr hin_Deva hin_Latn hrv_Latn hun_Latn hye_Armn
ibo_Latn ilo_Latn ind_Latn isl_Latn ita_Latn jav_Latn jpn_Jpan kac_Latn kan_Knda kat_Geor kaz_Cyrl
kea_Latn khk_Cyrl khm_Khmr kin_Latn kir_Cyrl kor_Hang lao_Laoo lin_Latn lit_Latn lug_Latn luo_Latn
lvs_Latn mal_Mlym mar_Deva mkd_Cyrl mlt_Latn mri_Latn mya_Mymr nld_Latn nob_Latn npi_Deva npi_Latn
nso_Latn nya_Latn ory_Orya pan_Guru pbt_Arab pes_Arab plt_Latn pol_Latn por_Latn ron_Latn rus_Cyrl
shn_Mymr sin_Latn sin_Sinh slk_Latn slv_Latn sna_Latn snd_Arab som_Latn sot_Latn spa_Latn srp_Cyrl
ssw_Latn sun_Latn swe_Latn swh_Latn tam_Taml tel_Telu tgk_Cyrl tgl_Latn tha_Thai tir_Ethi tsn_Latn
tso_Latn tur_Latn ukr_Cyrl urd_Arab urd_Latn uzn_Latn vie_Latn war_Latn wol_Latn xho_Latn yor_Latn
zho_Hans zho_Hant zsm_Latn zul_Latn`)

// belebeleSubsets follows MTEB's get_lang_pairs: every language with
// itself, with English both ways, and the six languages with a Latin
// transliteration paired with it both ways (122 + 2*121 + 2*6 = 376).
func belebeleSubsets() []string {
	var out []string
	for _, x := range belebeleLangs {
		out = append(out, x+"-"+x)
		if x != "eng_Latn" {
			out = append(out, x+"-eng_Latn", "eng_Latn-"+x)
		}
	}
	for _, base := range []string{"arb_Arab", "ben_Beng", "hin_Deva", "npi_Deva", "sin_Sinh", "urd_Arab"} {
		latn := strings.SplitN(base, "_", 2)[0] + "_Latn"
		out = append(out, base+"-"+latn, latn+"-"+base)
	}
	return out
}

// mlqaSubsets are MTEB's MLQARetrieval subsets: "{context}-{question}" in
// ISO 639-3 for the 7 x 7 pairs.
func mlqaSubsets() []string {
	langs := []string{"ara", "deu", "eng", "spa", "hin", "vie", "zho"}
	var out []string
	for _, a := range langs {
		for _, b := range langs {
			out = append(out, a+"-"+b)
		}
	}
	return out
}

// coverage says which of a task's subsets a file holds, per split.
type coverage struct {
	known  bool // the task's full subset list is known
	splits []splitCoverage
}

type splitCoverage struct {
	split   string
	have    []string // subsets present (known ones first, file order)
	missing bool     // the split is absent from the file
	want    int      // the task's subset count (0 when unknown)
	extra   []string // subsets the task does not have
}

// full is true when every eval split holds every subset of the task.
func (c coverage) full() bool {
	if !c.known {
		return false
	}
	for _, s := range c.splits {
		if s.missing || len(s.have) < s.want {
			return false
		}
	}
	return true
}

// String is the coverage as a table shows it: "376/376", "1/12 (th)",
// "validation 49/49, test 10/49", or "3 subsets (task unknown)".
func (c coverage) String() string {
	if !c.known {
		n := 0
		for _, s := range c.splits {
			n += len(s.have)
		}
		return plural(n, "subset") + " (full set unknown)"
	}
	same := true
	for _, s := range c.splits[1:] {
		same = same && !s.missing && !c.splits[0].missing && len(s.have) == len(c.splits[0].have) &&
			strings.Join(s.have, ",") == strings.Join(c.splits[0].have, ",")
	}
	one := func(s splitCoverage) string {
		if s.missing {
			return "none"
		}
		out := fmt.Sprintf("%d/%d", len(s.have), s.want)
		if len(s.have) < s.want && len(s.have) <= 3 {
			out += " (" + strings.Join(s.have, ", ") + ")"
		}
		if len(s.extra) > 0 {
			out += fmt.Sprintf(" + %d unknown", len(s.extra))
		}
		return out
	}
	if same {
		return one(c.splits[0])
	}
	parts := make([]string, len(c.splits))
	for i, s := range c.splits {
		parts[i] = s.split + " " + one(s)
	}
	return strings.Join(parts, ", ")
}

// metricLabel names a score key as papers do: ndcg_at_10 -> nDCG@10.
func metricLabel(key string) string {
	for _, p := range []struct{ prefix, label string }{
		{"ndcg_at_", "nDCG@"}, {"map_at_", "MAP@"}, {"recall_at_", "Recall@"}, {"precision_at_", "P@"},
		{"mrr_at_", "MRR@"}, {"hit_rate_at_", "HitRate@"}, {"mrc_at_", "MRC@"},
	} {
		if strings.HasPrefix(key, p.prefix) {
			return p.label + key[len(p.prefix):]
		}
	}
	if key == "" {
		return "main_score (metric not named in the file)"
	}
	return key
}

// splitOrder sorts splits as MTEB's tasks list them (validation before
// test), then by name.
func splitOrder(splits []string) []string {
	rank := map[string]int{"train": 0, "dev": 1, "validation": 2, "test": 3}
	out := append([]string(nil), splits...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, iok := rank[out[i]]
		rj, jok := rank[out[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		default:
			return out[i] < out[j]
		}
	})
	return out
}
