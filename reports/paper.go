package reports

import (
	"strings"

	"github.com/mimo-mlir/mimo/lang"
)

// MLIRTasks are the paper's six MLIR tasks in the paper's column order, with
// the short headers its tables use and the name of MTEB's per-pair task
// on the same data (MTEB). Name is mimo's: MTEB's tasks of
// the old names (BelebeleRetrieval ...) score each language pair apart and
// are read as MTEB's (docs/decisions.md, "Task names").
var MLIRTasks = []struct{ Name, Short, MTEB string }{
	{"BelebeleMLIR", "Belebele", "BelebeleRetrieval"},
	{"MLQAMLIR", "MLQA", "MLQARetrieval"},
	{"XQuADMLIR", "XQuAD", "XQuADRetrieval"},
	{"MultiEuPMLIR", "MultiEuP", "MultiEuPRetrieval"},
	{"NeuCLIR2022MLIR", "NeuCLIR22", "NeuCLIR2022Retrieval"},
	{"NeuCLIR2023MLIR", "NeuCLIR23", "NeuCLIR2023Retrieval"},
}

// MIRACLTask is the multi-monolingual task as mimo names it: MTEB's own
// task, since mimo builds it exactly as MTEB does, from MTEB's
// hard-negative set (MIRACLPaperDataset), as the paper does.
const MIRACLTask = "MIRACLRetrievalHardNegatives"

// MIRACLTasks are the task names a MIRACL table shows: MTEB has two, over
// different corpora (MIRACLRetrieval: the full corpus;
// MIRACLRetrievalHardNegatives: 250 pooled candidates per query), and
// mimo's MIRACLRetrievalRelease reads MIRACL's own release files (the full
// corpus, as MTEB's MIRACLRetrieval).
var MIRACLTasks = []string{"MIRACLRetrieval", "MIRACLRetrievalHardNegatives", "MIRACLRetrievalRelease"}

// legacyMimoNames are the names mimo wrote its tasks under before they got
// their own (MTEB's names): a file mimo wrote (extras beside it) under one
// of them is read as the task of the new name.
var legacyMimoNames = func() map[string]string {
	m := map[string]string{"MIRACLRetrieval": MIRACLTask}
	for _, t := range MLIRTasks {
		m[t.MTEB] = t.Name
	}
	return m
}()

// MIRACLPaperDataset is the dataset of the paper's Table 4 (tasks.md).
const MIRACLPaperDataset = "mteb/MIRACLRetrievalHardNegatives"

func isMIRACL(task string) bool {
	for _, t := range MIRACLTasks {
		if t == task {
			return true
		}
	}
	return false
}

// MIRACLLangs are the ten MIRACL languages of the paper's Table 4.
var MIRACLLangs = lang.MIRACL

// PaperRow is one row of the paper's published numbers (x100).
type PaperRow struct {
	Name    string             // as the paper names it
	Aliases []string           // model names (lower case, substring match) that denote it
	Source  string             // "Table 8", ...
	MLIR    map[string]float64 // task name -> nDCG@20, when published per task
	MLIRAvg float64            // average over the six tasks, 0 when not published
	MIRACL  float64            // MIRACL nDCG@10 average, 0 when not published
}

func mlir(v ...float64) map[string]float64 {
	m := map[string]float64{}
	for i, t := range MLIRTasks {
		m[t.Name] = v[i]
	}
	return m
}

// Paper holds the MIMO paper's published numbers (training.md, Tables 2, 3,
// 4, 8 and 9). Rows for methods trained by the user match model names that
// contain the alias (e.g. a folder "mimo-xlmr-large").
var Paper = []PaperRow{
	{Name: "Qwen3-Embedding-8B (teacher)", Aliases: []string{"qwen/qwen3-embedding-8b"}, Source: "Table 8",
		MLIR: mlir(96.29, 69.28, 95.02, 50.88, 68.87, 55.35), MLIRAvg: 72.62},
	{Name: "gte-Qwen2-1.5B-Instruct", Aliases: []string{"alibaba-nlp/gte-qwen2-1.5b-instruct"}, Source: "Table 8",
		MLIR: mlir(56.71, 30.39, 56.45, 8.70, 33.42, 19.48), MLIRAvg: 34.19},
	{Name: "Qwen3-Embedding-0.6B", Aliases: []string{"qwen/qwen3-embedding-0.6b"}, Source: "Table 8",
		MLIR: mlir(81.16, 55.88, 86.52, 43.10, 59.35, 48.19), MLIRAvg: 62.37},
	{Name: "bge-m3", Aliases: []string{"baai/bge-m3"}, Source: "Table 8",
		MLIR: mlir(84.02, 57.33, 89.89, 43.77, 43.19, 40.03), MLIRAvg: 59.71},
	{Name: "nomic-embed-text-v2-moe", Aliases: []string{"nomic-ai/nomic-embed-text-v2-moe"}, Source: "Table 8",
		MLIR: mlir(78.52, 53.82, 84.66, 43.90, 47.67, 46.22), MLIRAvg: 59.13},
	{Name: "multilingual-e5-large-instruct", Aliases: []string{"intfloat/multilingual-e5-large-instruct"}, Source: "Table 8",
		MLIR: mlir(40.76, 35.81, 48.60, 24.27, 55.52, 49.28), MLIRAvg: 42.37},
	{Name: "multilingual-e5-large", Aliases: []string{"intfloat/multilingual-e5-large"}, Source: "Table 8",
		MLIR: mlir(61.51, 43.01, 69.98, 30.87, 9.69, 18.55), MLIRAvg: 38.93},
	{Name: "MIMO, xlm-roberta-large", Aliases: []string{"mimo-xlmr-large", "mimo-xlm-roberta-large"}, Source: "Tables 2 and 8",
		MLIR: mlir(84.18, 49.83, 86.05, 47.06, 55.40, 41.62), MLIRAvg: 60.69, MIRACL: 44.16},
	{Name: "InfoNCE, xlm-roberta-large", Aliases: []string{"infonce-xlmr-large", "infonce-xlm-roberta-large"}, Source: "Tables 2 and 4", MLIRAvg: 31.41, MIRACL: 38.32},
	{Name: "XLCO, xlm-roberta-large", Aliases: []string{"xlco-xlmr-large", "xlco-xlm-roberta-large"}, Source: "Tables 2 and 4", MLIRAvg: 53.18, MIRACL: 39.99},
	{Name: "LaKDA, xlm-roberta-large", Aliases: []string{"lakda-xlmr-large", "lakda-xlm-roberta-large"}, Source: "Tables 2 and 4", MLIRAvg: 52.95, MIRACL: 40.63},
	{Name: "MIMO stage 1 only, xlm-roberta-large", Aliases: []string{"mimo-stage1-xlmr-large"}, Source: "Table 3", MLIRAvg: 57.43},
	{Name: "MIMO stage 2 only, xlm-roberta-large", Aliases: []string{"mimo-stage2-xlmr-large"}, Source: "Table 3", MLIRAvg: 52.77},
	{Name: "MIMO, mmBERT-base", Aliases: []string{"mimo-mmbert-base"}, Source: "Table 2", MLIRAvg: 58.08},
	{Name: "InfoNCE, mmBERT-base", Aliases: []string{"infonce-mmbert-base"}, Source: "Table 2", MLIRAvg: 30.86},
	{Name: "XLCO, mmBERT-base", Aliases: []string{"xlco-mmbert-base"}, Source: "Table 2", MLIRAvg: 51.25},
	{Name: "LaKDA, mmBERT-base", Aliases: []string{"lakda-mmbert-base"}, Source: "Table 2", MLIRAvg: 51.31},
	{Name: "MIMO, mmBERT-base (cls)", Aliases: []string{"mimo-mmbert-base-cls"}, Source: "Table 9",
		MLIR: mlir(78.48, 44.61, 81.24, 44.72, 51.19, 41.78), MLIRAvg: 57.01},
	{Name: "InfoNCE, mmBERT-base (cls)", Aliases: []string{"infonce-mmbert-base-cls"}, Source: "Table 9",
		MLIR: mlir(29.85, 24.92, 38.03, 15.04, 39.21, 33.87), MLIRAvg: 30.15},
	{Name: "XLCO, mmBERT-base (cls)", Aliases: []string{"xlco-mmbert-base-cls"}, Source: "Table 9",
		MLIR: mlir(67.89, 38.51, 71.94, 34.63, 40.13, 34.41), MLIRAvg: 47.92},
	{Name: "LaKDA, mmBERT-base (cls)", Aliases: []string{"lakda-mmbert-base-cls"}, Source: "Table 9",
		MLIR: mlir(68.13, 38.67, 72.21, 34.87, 40.72, 34.87), MLIRAvg: 48.24},
}

// PaperFor returns the paper row a model name denotes: an exact alias match
// wins; otherwise the longest alias contained in the name (so
// "mimo-mmbert-base-cls" is not taken for "mimo-mmbert-base").
func PaperFor(model string) (PaperRow, bool) {
	m := strings.ToLower(model)
	best, bestLen := -1, 0
	for i, r := range Paper {
		for _, a := range r.Aliases {
			if m == a {
				return r, true
			}
			if strings.HasSuffix(m, "/"+a) || strings.Contains(m, a) && !strings.Contains(a, "/") {
				if len(a) > bestLen {
					best, bestLen = i, len(a)
				}
			}
		}
	}
	if best < 0 {
		return PaperRow{}, false
	}
	return Paper[best], true
}
