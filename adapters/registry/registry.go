// Package registry is the registry of embedding models whose settings mimo
// knows (pooling, normalisation, maximum length, prompts per role and task,
// dimension, license), and the resolver of "hf:org/name[@revision]" model
// specifications into model folders (an ONNX export, else safetensors
// weights for the native encoder).
//
// The mental model: a hub repository holds weights and a tokenizer but not
// how to use them (which pooling? which prompt for queries?). That knowledge
// lives here, as data. Resolve downloads the ONNX export and tokenizer.json
// through a Downloader and writes a mimo-model.json next to them that
// combines the files with the registry's settings; the result opens like any
// other model folder (kind "onnx"). A repository without an ONNX export
// (mmBERT-base) gives a kind "native" folder of its config.json and
// model.safetensors instead; ResolveNative always does, for training.
//
// Every repository's sentence-transformers files are read as for a local
// folder (adapters.ReadSentenceTransformers: modules.json and each module,
// Dense heads included, sentence_bert_config.json,
// config_sentence_transformers.json); the registry's settings, where it
// knows the model, win over the files' pooling, length, dimension and
// prompts. Without those files: mean pooling, no prompts.
package registry

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Model is what the registry knows about one embedding model.
type Model struct {
	// Key is the registry name (e.g. "multilingual-e5-large"); Repo the hub
	// repository ("intfloat/multilingual-e5-large"). Several keys may share a
	// repository with different settings (mmBERT-base with mean or cls pooling).
	Key  string
	Repo string
	// Revision is a pinned hub commit; "" when not pinned (Resolve then uses
	// the spec's @revision, else "main", and records what it used).
	Revision    string
	Pooling     string // mean, cls, last-token
	Normalize   bool
	MaxLength   int
	Dim         int
	License     string
	NParameters int64
	// Prompts per role ("query", "document") and "Task:role" overrides.
	Prompts map[string]string
	// Role in the MIMO paper: "student", "teacher", "baseline".
	Role  string
	Notes string
	// TrainingDatasets is what MTEB's ModelMeta for the repository declares
	// the model was trained on (training_datasets: MTEB task name -> splits;
	// MTEB's newer metadata is a set of names, whose splits are nil here);
	// nil where MTEB declares nothing or mimo has not read it (see
	// docs/decisions.md, "Declared training data and parallel groups").
	TrainingDatasets map[string][]string
	// TrainingSource says where TrainingDatasets was read (MTEB's file and
	// variable) or, where MTEB declares none, that fact; "" when MTEB's
	// metadata for the model has not been read. Empty TrainingDatasets
	// with a source means "MTEB declares none", which is not "clean".
	TrainingSource string
}

// e5Training is MTEB's E5_TRAINING_DATA (mteb/models/e5_models.py, "from
// 4.2 in https://arxiv.org/pdf/2212.03533").
var e5Training = map[string][]string{
	"MSMARCO": {"train"}, "MSMARCOHardNegatives": {"train"}, "NanoMSMARCORetrieval": {"train"},
	"MSMARCO-PL": {"train"}, "mMARCO-NL": {"train"},
	"NQ": {"train"}, "NQHardNegatives": {"train"}, "NanoNQRetrieval": {"train"}, "NQ-PL": {"train"}, "NQ-NL": {"train"},
}

// me5Training is MTEB's ME5_TRAINING_DATA, the multilingual e5 models':
// E5's plus FEVER, HotpotQA, MIRACL and Mr. TyDi.
var me5Training = withDatasets(e5Training, map[string][]string{
	"FEVER": {"train"}, "FEVERHardNegatives": {"train"}, "FEVER-NL": {"train"},
	"HotpotQA": {"train"}, "HotpotQAHardNegatives": {"train"}, "HotpotQA-PL": {"train"}, "HotpotQA-NL": {"train"},
	"MIRACLRetrieval": {"train"}, "MIRACLRetrievalHardNegatives": {"train"}, "MIRACLReranking": {"train"},
	"MrTidyRetrieval": {"train"},
})

const me5Source = "mteb/models/e5_models.py (ME5_TRAINING_DATA)"

// bgeM3Training is MTEB's bge_m3_training_data (mteb/models/bge_models.py,
// "source: https://arxiv.org/abs/2402.03216"); MTEB lists MLDR and the
// other sets it has no task for only in comments, so they are not here.
var bgeM3Training = map[string][]string{
	"MIRACLRetrieval": {"train"}, "MIRACLRetrievalHardNegatives": {"train"}, "MIRACLReranking": {"train"},
	"LeCaRDv2": {"train"}, "CMedQAv1-reranking": {"train"}, "CMedQAv2-reranking": {"train"},
	"MrTidyRetrieval": {"train"}, "T2Reranking": {"train"},
	"MSMARCO": {"train"}, "MSMARCOHardNegatives": {"train"}, "NanoMSMARCORetrieval": {"train"},
	"MSMARCO-PL": {"train"}, "mMARCO-NL": {"train"},
	"NQ": {"train"}, "NQ-NL": {"train"}, "NQHardNegatives": {"train"}, "NanoNQRetrieval": {"train"}, "NQ-PL": {"train"},
	"HotpotQA": {"train"}, "HotpotQA-PL": {"train"}, "HotpotQA-NL": {"train"}, "HotpotQAHardNegatives": {"train"},
	"T2Retrieval": {"train"}, "DuRetrieval": {"train"}, "MMarcoReranking": {"train"}, "CodeSearchNet": {"train"},
}

// qwen3Training is MTEB's training_data of the Qwen3-Embedding models
// (embeddings-benchmark/mteb, mteb/models/model_implementations/qwen3_models.py
// @ 7a86af37e6d756b43bdb5bb1605934f69eb21d0d, the same set in the older
// mteb/models/qwen3_models.py): a set of names, no splits.
var qwen3Training = namesOnly("T2Retrieval", "DuRetrieval", "MMarcoReranking", "CMedQAv2-reranking", "NQ", "MSMARCO",
	"HotpotQA", "FEVER", "MrTidyRetrieval", "MIRACLRetrieval", "CodeSearchNet")

const qwen3Source = "mteb/models/model_implementations/qwen3_models.py @ 7a86af37 (training_data)"

// gteMultiTraining is MTEB's gte_multi_training_data for
// gte-multilingual-base (mteb/models/model_implementations/gte_models.py
// @ 0378e943dd8269471f2ffbd5bf506506414552c8, "Source:
// https://arxiv.org/pdf/2407.19669"; TriviaQA, SQuAD, AllNLI and Multi-CPR
// are named there only in a comment, MTEB having no task for them).
var gteMultiTraining = namesOnly("T2Retrieval", "DuRetrieval", "MMarcoReranking", "CMedQAv2-reranking", "NQ-NL", "NQ",
	"MSMARCO", "mMARCO-NL", "HotpotQA", "HotpotQA-NL", "FEVER", "FEVER-NL", "MrTidyRetrieval", "MultiLongDocRetrieval",
	"MIRACLReranking", "MIRACLRetrieval", "MIRACLRetrievalHardNegatives")

// namesOnly is a declaration by name alone (MTEB's set form).
func namesOnly(names ...string) map[string][]string {
	out := make(map[string][]string, len(names))
	for _, n := range names {
		out[n] = nil
	}
	return out
}

func withDatasets(base, more map[string][]string) map[string][]string {
	out := make(map[string][]string, len(base)+len(more))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// TrainedOn reports whether the model declares it trained on the MTEB
// task (dataset) name, and on which splits.
func (m Model) TrainedOn(dataset string) ([]string, bool) {
	s, ok := m.TrainingDatasets[dataset]
	return s, ok
}

// QwenWebSearch is the Qwen3-Embedding query instruction used by the MIMO
// paper's teacher (Appendix C).
const QwenWebSearch = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"

// Released MIMO models: the paper (mimo-paper.txt) names no hub ids for its
// trained students, so the registry has no entry for them; evaluate a
// trained student through its model folder (kind "native" or an ONNX export).

var (
	mu       sync.RWMutex
	registry = map[string]Model{}
	byRepo   = map[string]string{} // lower-case repo -> default key
)

func init() {
	for _, m := range builtin {
		Register(m)
	}
}

var builtin = []Model{
	{Key: "xlm-roberta-large", Repo: "FacebookAI/xlm-roberta-large", Pooling: "mean", Normalize: true, MaxLength: 512, Dim: 1024,
		License: "mit", NParameters: 560_000_000, Role: "student",
		Notes: "MIMO student backbone (mean pooling, no prompts); untrained it is not a retrieval model"},
	{Key: "xlm-roberta-large-cls", Repo: "FacebookAI/xlm-roberta-large", Pooling: "cls", Normalize: true, MaxLength: 512, Dim: 1024,
		License: "mit", NParameters: 560_000_000, Role: "student", Notes: "xlm-roberta-large with [CLS] pooling"},
	{Key: "mmBERT-base", Repo: "jhu-clsp/mmBERT-base", Pooling: "mean", Normalize: true, MaxLength: 512, Dim: 768,
		License: "mit", NParameters: 307_000_000, Role: "student",
		Notes: "MIMO student backbone; the model accepts 8192 tokens, the paper trains at 512"},
	{Key: "mmBERT-base-cls", Repo: "jhu-clsp/mmBERT-base", Pooling: "cls", Normalize: true, MaxLength: 512, Dim: 768,
		License: "mit", NParameters: 307_000_000, Role: "student", Notes: "mmBERT-base with [CLS] pooling (paper Table 9)"},
	{Key: "Qwen3-Embedding-8B", Repo: "Qwen/Qwen3-Embedding-8B", Pooling: "last-token", Normalize: true, MaxLength: 8192, Dim: 4096,
		License: "apache-2.0", NParameters: 7_570_000_000, Role: "teacher",
		Prompts:          map[string]string{"query": QwenWebSearch},
		Notes:            "MIMO teacher; instruction for queries only, last-token pooling with left padding; hidden size 4096 (the paper states 3584)",
		TrainingDatasets: qwen3Training, TrainingSource: qwen3Source},
	{Key: "Qwen3-Embedding-0.6B", Repo: "Qwen/Qwen3-Embedding-0.6B", Pooling: "last-token", Normalize: true, MaxLength: 8192, Dim: 1024,
		License: "apache-2.0", NParameters: 596_000_000, Role: "baseline",
		Prompts:          map[string]string{"query": QwenWebSearch},
		TrainingDatasets: qwen3Training, TrainingSource: qwen3Source},
	{Key: "gte-Qwen2-1.5B-instruct", Repo: "Alibaba-NLP/gte-Qwen2-1.5B-instruct", Pooling: "last-token", Normalize: true, MaxLength: 8192, Dim: 1536,
		License: "apache-2.0", NParameters: 1_780_000_000, Role: "baseline",
		Prompts:        map[string]string{"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: "},
		TrainingSource: "MTEB declares none: mteb/models/model_implementations/gte_models.py @ 0378e943, gte_qwen2_1_5b_instruct, training_datasets=None"},
	{Key: "bge-m3", Repo: "BAAI/bge-m3", Pooling: "cls", Normalize: true, MaxLength: 8192, Dim: 1024,
		License: "mit", NParameters: 568_000_000, Role: "baseline", Notes: "dense vectors only",
		TrainingDatasets: bgeM3Training, TrainingSource: "mteb/models/bge_models.py (bge_m3_training_data)"},
	{Key: "nomic-embed-text-v2-moe", Repo: "nomic-ai/nomic-embed-text-v2-moe", Pooling: "mean", Normalize: true, MaxLength: 512, Dim: 768,
		License: "apache-2.0", NParameters: 475_000_000, Role: "baseline",
		Prompts: map[string]string{"query": "search_query: ", "document": "search_document: "},
		Notes:   "mixture-of-experts; needs an ONNX export of its custom architecture",
		TrainingSource: "MTEB declares none: mteb/models/model_implementations/nomic_models.py @ 06aee2b7, nomic_embed_text_v2_moe, " +
			"training_datasets=None (\"did not look into this further\")"},
	{Key: "multilingual-e5-large", Repo: "intfloat/multilingual-e5-large", Pooling: "mean", Normalize: true, MaxLength: 512, Dim: 1024,
		License: "mit", NParameters: 560_000_000, Role: "baseline",
		Prompts:          map[string]string{"query": "query: ", "document": "passage: "},
		TrainingDatasets: me5Training, TrainingSource: me5Source},
	// The smaller e5 models share the large one's prompts (intfloat's model
	// cards: "query: " / "passage: "; without them scores drop).
	{Key: "multilingual-e5-small", Repo: "intfloat/multilingual-e5-small", Pooling: "mean", Normalize: true, MaxLength: 512, Dim: 384,
		License: "mit", NParameters: 118_000_000, Role: "off-the-shelf",
		Prompts:          map[string]string{"query": "query: ", "document": "passage: "},
		TrainingDatasets: me5Training, TrainingSource: me5Source},
	{Key: "multilingual-e5-base", Repo: "intfloat/multilingual-e5-base", Pooling: "mean", Normalize: true, MaxLength: 512, Dim: 768,
		License: "mit", NParameters: 278_000_000, Role: "off-the-shelf",
		Prompts:          map[string]string{"query": "query: ", "document": "passage: "},
		TrainingDatasets: me5Training, TrainingSource: me5Source},
	// mGTE (the paper's Table 2 names it "Mgte"): CLS pooling, no prompts.
	{Key: "gte-multilingual-base", Repo: "Alibaba-NLP/gte-multilingual-base", Pooling: "cls", Normalize: true, MaxLength: 8192, Dim: 768,
		License: "apache-2.0", NParameters: 305_000_000, Role: "baseline", Notes: "custom architecture (trust_remote_code); needs an ONNX export",
		TrainingDatasets: gteMultiTraining, TrainingSource: "mteb/models/model_implementations/gte_models.py @ 0378e943 (gte_multi_training_data)"},
	{Key: "multilingual-e5-large-instruct", Repo: "intfloat/multilingual-e5-large-instruct", Pooling: "mean", Normalize: true, MaxLength: 512, Dim: 1024,
		License: "mit", NParameters: 560_000_000, Role: "baseline",
		Prompts: map[string]string{"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: "},
		Notes:   "instruction for queries only; documents have no prefix"},
}

// Register adds or replaces a model. The first key registered for a
// repository is the one "hf:<repo>" resolves to.
func Register(m Model) {
	mu.Lock()
	defer mu.Unlock()
	registry[m.Key] = m
	r := strings.ToLower(m.Repo)
	if _, ok := byRepo[r]; !ok {
		byRepo[r] = m.Key
	}
}

// Lookup finds a model by key or by hub repository (case-insensitive).
func Lookup(name string) (Model, bool) {
	mu.RLock()
	defer mu.RUnlock()
	if m, ok := registry[name]; ok {
		return m, true
	}
	if k, ok := byRepo[strings.ToLower(name)]; ok {
		return registry[k], true
	}
	for k, m := range registry {
		if strings.EqualFold(k, name) {
			return m, true
		}
	}
	return Model{}, false
}

// All lists the registry, sorted by key.
func All() []Model {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Model, 0, len(registry))
	for _, m := range registry {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Spec is a parsed model specification: Name is a hub repository
// ("org/name") or a registry key.
type Spec struct {
	Name     string
	Revision string
}

// ParseSpec parses "hf:org/name[@revision]"; without the "hf:" prefix only a
// registry key or repository is accepted.
func ParseSpec(spec string) (Spec, error) {
	s, isHF := strings.CutPrefix(spec, "hf:")
	repo, rev, _ := strings.Cut(s, "@")
	if !isHF {
		m, ok := Lookup(repo)
		if !ok {
			return Spec{}, fmt.Errorf("model %q: not hf:org/name and not a known model", spec)
		}
		return Spec{Name: m.Key, Revision: rev}, nil
	}
	org, name, ok := strings.Cut(repo, "/")
	if !ok || org == "" || name == "" || strings.Contains(name, "/") || strings.ContainsAny(repo, " \t\\") {
		return Spec{}, fmt.Errorf("model %q: want hf:org/name[@revision]", spec)
	}
	if strings.Contains(spec, "@") && rev == "" {
		return Spec{}, fmt.Errorf("model %q: empty revision after @", spec)
	}
	return Spec{Name: repo, Revision: rev}, nil
}
