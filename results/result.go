package results

import "encoding/json"

// TaskResult is MTEB's result file for one (model, task), as MTEB writes it at
// OUTPUT/<org>__<model>/<revision>/<Task>.json. Scores maps split -> one entry
// per hf_subset; each entry is a flat map of MTEB score names
// ("ndcg_at_10", "main_score", "hf_subset", "languages", ...) so that files
// written by MTEB itself read back unchanged.
type TaskResult struct {
	DatasetRevision string                      `json:"dataset_revision"`
	TaskName        string                      `json:"task_name"`
	MTEBVersion     string                      `json:"mteb_version"`
	Scores          map[string][]map[string]any `json:"scores"`
	EvaluationTime  float64                     `json:"evaluation_time"`
	KgCO2Emissions  *float64                    `json:"kg_co2_emissions"`
	// Date is when the evaluation ran, a POSIX timestamp as MTEB's to_disk
	// writes it (date.timestamp()); nil is written as null, as MTEB writes
	// None.
	Date *float64 `json:"date"`
	// EvaluationPhases is MTEB's per-phase timing (null: not recorded).
	EvaluationPhases []map[string]any `json:"evaluation_phases"`
}

// The field sets of TaskResult and ModelMeta are MTEB's: every field
// MTEB's TaskResult.to_disk and ModelMeta.to_dict write, nothing else
// (ModelMeta forbids extra fields). reports/testdata/mteb-fields.json
// records MTEB's lists and where they were read; a test compares.

// ModelMeta is MTEB's model_meta.json beside the task results: the fields
// of MTEB's ModelMeta, plus is_cross_encoder, which its to_dict writes and
// its reader accepts. Pointer and slice fields left nil are written as
// null (MTEB's None); the fields MTEB does not let be null are written
// with MTEB's defaults when left empty (see MarshalJSON).
type ModelMeta struct {
	Name                      string         `json:"name"`
	Revision                  string         `json:"revision"`
	Release                   *string        `json:"release_date"`
	Languages                 []string       `json:"languages"`
	NParameters               *int64         `json:"n_parameters"`
	NActiveParametersOverride *int64         `json:"n_active_parameters_override"`
	NEmbeddingParameters      *int64         `json:"n_embedding_parameters"`
	MemoryUsageMB             *float64       `json:"memory_usage_mb"`
	EmbedDim                  int            `json:"embed_dim"`
	MaxTokens                 *int           `json:"max_tokens"`
	License                   *string        `json:"license"`
	OpenWeights               *bool          `json:"open_weights"`
	PublicTrainingCode        *string        `json:"public_training_code"`
	PublicTrainingData        *string        `json:"public_training_data"`
	SimilarityFnName          string         `json:"similarity_fn_name"`
	Framework                 []string       `json:"framework"`
	Reference                 *string        `json:"reference"`
	UseInstructions           *bool          `json:"use_instructions"`
	TrainingDatasets          []string       `json:"training_datasets"`
	AdaptedFrom               *string        `json:"adapted_from"`
	SupersededBy              *string        `json:"superseded_by"`
	Modalities                []string       `json:"modalities"`
	ModelType                 []string       `json:"model_type"`
	Citation                  *string        `json:"citation"`
	Contacts                  []string       `json:"contacts"`
	ExperimentKwargs          map[string]any `json:"experiment_kwargs"`
	OutputDtypes              []string       `json:"output_dtypes"`
	ExtraRequirementsGroups   []string       `json:"extra_requirements_groups"`
	Loader                    *string        `json:"loader"`
	LoaderKwargs              map[string]any `json:"loader_kwargs"`
	IsCrossEncoder            bool           `json:"is_cross_encoder"`
}

// MarshalJSON writes m with MTEB's defaults for the fields MTEB's
// ModelMeta does not accept as null: framework [], modalities ["text"],
// model_type ["dense"], loader_kwargs {}.
func (m ModelMeta) MarshalJSON() ([]byte, error) {
	type plain ModelMeta
	if m.Framework == nil {
		m.Framework = []string{}
	}
	if m.Modalities == nil {
		m.Modalities = []string{"text"}
	}
	if m.ModelType == nil {
		m.ModelType = []string{"dense"}
	}
	if m.LoaderKwargs == nil {
		m.LoaderKwargs = map[string]any{}
	}
	return json.Marshal(plain(m))
}

// ExtrasDir is the sub-folder, beside the MTEB files, that holds our extras.
// MTEB's reader globs only *.json at the revision level, so it never sees it.
const ExtrasDir = "mimo"

// Extras is what mimo adds to an MTEB result, written to
// OUTPUT/<model>/<revision>/mimo/<Task>.json. One Extras per task; Subsets
// holds one entry per (split, hf_subset).
type Extras struct {
	TaskName string         `json:"task_name"`
	Model    string         `json:"model"`
	Settings RunSettings    `json:"settings"`
	Subsets  []SubsetExtras `json:"subsets"`
	// Sizes compares the built task with the paper's Table 7 (absent for
	// a task without expected sizes, or evaluated under --langs or
	// --eval-splits).
	Sizes *SizeCheck `json:"sizes,omitempty"`
	// DeclaredTraining is set when the model declares (MTEB's
	// training_datasets, harness.Options.TrainingDatasets) that it was trained on
	// this task's dataset: the score is not a zero-shot one.
	DeclaredTraining *DeclaredTraining `json:"declared_training,omitempty"`
}

// DeclaredTraining names the declared training dataset a task matched.
type DeclaredTraining struct {
	Declared bool     `json:"declared_training"`
	Dataset  string   `json:"dataset"`
	Splits   []string `json:"splits"`
}

// Sizes counts a task's queries, documents and qrels entries.
type Sizes struct {
	Queries int `json:"queries"`
	Corpus  int `json:"corpus"`
	Qrels   int `json:"qrels"`
}

// SizeCheck is the comparison of built and expected sizes; an expected
// count of 0 is unknown and matches anything.
type SizeCheck struct {
	Expected Sizes `json:"expected"`
	Built    Sizes `json:"built"`
	Match    bool  `json:"match"`
}

// RunSettings records everything that changes scores.
type RunSettings struct {
	DatasetRevision string         `json:"dataset_revision"`
	DatasetSource   string         `json:"dataset_source"`
	Encoder         map[string]any `json:"encoder"` // adapters.Identity as a map
	BatchSize       int            `json:"batch_size"`
	Dtype           string         `json:"dtype"`
	// StoreDtype is "f16" when cached vectors were stored (and used) in
	// half precision; empty for float32.
	StoreDtype string            `json:"store_dtype,omitempty"`
	MaxLength  int               `json:"max_length"`
	Prompts    map[string]string `json:"prompts"` // role -> prompt actually used
	Langs      []string          `json:"langs,omitempty"`
	Splits     []string          `json:"splits,omitempty"`
	// Variant is the builder options chosen (Belebele's Arabic, MLQA's
	// split), absent for the defaults.
	Variant     map[string]string `json:"variant,omitempty"`
	Depth       int               `json:"depth"`
	MimoVersion string            `json:"mimo_version"`
}

// SampleInfo says how a sampled measure was computed.
type SampleInfo struct {
	Exact bool   `json:"exact"` // every pair was used
	Pairs int64  `json:"pairs"` // pairs averaged
	Seed  uint64 `json:"seed,omitempty"`
}

// SubsetExtras holds the per-subset measures beyond MTEB's.
type SubsetExtras struct {
	Split  string `json:"split"`
	Subset string `json:"hf_subset"`
	// Counts of what was evaluated.
	NQueries int            `json:"n_queries"`
	NCorpus  int            `json:"n_corpus"`
	NQrels   int            `json:"n_qrels"`
	Skipped  map[string]int `json:"skipped,omitempty"`
	// ByQueryLang: query language -> MTEB-style score map (ndcg_at_20, ...)
	// averaged over that language's queries.
	ByQueryLang map[string]map[string]float64 `json:"by_query_lang"`
	// PerQuery: query id -> the task's main score (MainScore) of that
	// query, for the queries scored (those with a relevant document): what
	// a paired significance test between two models reads
	// (reports.PairedTest).
	PerQuery map[string]float64 `json:"per_query,omitempty"`
	// MRC: "mrc_at_10" -> language -> value (x100), plus "mean".
	MRC map[string]map[string]float64 `json:"mrc,omitempty"`
	// Alignment and uniformity of the corpus embeddings (lower is better).
	Alignment  *float64 `json:"alignment,omitempty"`
	Uniformity *float64 `json:"uniformity,omitempty"`
	// UniformitySample records how uniformity was computed: over every
	// pair, or over Pairs pairs drawn with Seed (metrics.UniformitySample).
	UniformitySample *SampleInfo `json:"uniformity_sample,omitempty"`
	// LangPreference: "at_10" -> query language -> doc language -> share of top-k docs.
	LangPreference map[string]map[string]map[string]float64 `json:"language_preference,omitempty"`

	// Measures of a mixed-language corpus (absent when the corpus holds
	// one language). CrossLanguage: each query's relevant set restricted to
	// documents in other languages than the query's (same-language gold
	// stays in the ranking, as non-relevant); SameLanguage: restricted to
	// the query's language.
	CrossLanguage *LangScores `json:"cross_language,omitempty"`
	SameLanguage  *LangScores `json:"same_language,omitempty"`
	// PEER: "peer_at_20" -> PEER@k (Yang et al., SIGIR 2024; higher is fairer).
	PEER map[string]PEERScore `json:"peer,omitempty"`
	// RelevantFound: "at_20" -> query language -> doc language -> share of
	// the relevant documents in that language found in the top k.
	RelevantFound map[string]map[string]map[string]float64 `json:"relevant_found,omitempty"`

	// Contamination: how many of the queries and documents were in the
	// model's training texts (absent when the model folder has no record).
	Contamination *Contamination `json:"contamination,omitempty"`
}

// Contamination counts the evaluated texts found in the model's training
// texts (internal/textset: normalised, fingerprinted).
type Contamination struct {
	QueriesSeen int `json:"queries_seen"`
	Queries     int `json:"queries"`
	DocsSeen    int `json:"documents_seen"`
	Docs        int `json:"documents"`
}

// Share is the larger of the two shares seen, the figure the table shows.
func (c *Contamination) Share() float64 {
	q, d := 0.0, 0.0
	if c.Queries > 0 {
		q = float64(c.QueriesSeen) / float64(c.Queries)
	}
	if c.Docs > 0 {
		d = float64(c.DocsSeen) / float64(c.Docs)
	}
	return max(q, d)
}

// LangScores is a score map (ndcg_at_20, ...) over the queries that have a
// relevant document in the scope, overall and per query language.
type LangScores struct {
	NQueries    int                           `json:"n_queries"`
	Scores      map[string]float64            `json:"scores"`
	ByQueryLang map[string]map[string]float64 `json:"by_query_lang"`
	// PerQuery: query id -> the task's main score of that query in the
	// scope (as SubsetExtras.PerQuery).
	PerQuery map[string]float64 `json:"per_query,omitempty"`
}

// PEERScore is PEER@k (harness/metrics.PEER) overall and per query language,
// with the number of queries it averages (those whose relevant documents
// are in two or more languages).
type PEERScore struct {
	NQueries    int                `json:"n_queries"`
	Value       *float64           `json:"value"`
	ByQueryLang map[string]float64 `json:"by_query_lang"`
}
