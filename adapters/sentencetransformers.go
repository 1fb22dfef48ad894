package adapters

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The sentence-transformers layout (UKPLab/sentence-transformers,
// SentenceTransformer._load_sbert_model and the modules' load methods), as
// `hf download` or SentenceTransformer.save writes it:
//
//	modules.json                        [{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
//	                                     {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}, ...]
//	sentence_bert_config.json           {"max_seq_length": 512, "do_lower_case": false}   (in the Transformer's path)
//	config_sentence_transformers.json   {"prompts": {"query": "query: ", ...}, "default_prompt_name": null, "similarity_fn_name": "cosine"}
//	1_Pooling/config.json               {"word_embedding_dimension": 384, "pooling_mode_mean_tokens": true, ...}
//	2_Dense/config.json                 {"in_features": 768, "out_features": 768, "bias": true,
//	                                     "activation_function": "torch.nn.modules.activation.Tanh"}
//	2_Dense/model.safetensors           linear.weight [out, in], linear.bias [out]
//	3_Normalize/                        (empty)
//
// plus the Hugging Face model files (config.json, tokenizer.json,
// model.safetensors or onnx/model.onnx).

// Files of the sentence-transformers layout.
const (
	STModulesFile = "modules.json"
	STConfigFile  = "config_sentence_transformers.json"
	STBertFile    = "sentence_bert_config.json"
)

// ErrSTModule is wrapped by the error for a module of modules.json that
// mimo cannot apply (its type, or a setting of it, unknown here): callers
// refuse the model rather than give vectors sentence-transformers would
// not.
var ErrSTModule = errors.New("sentence-transformers module not supported")

// maxSTFileBytes bounds each sentence-transformers JSON file read (they
// hold settings; the largest upstream is a few kB of prompts).
const maxSTFileBytes = 4 << 20

// stModule is one entry of modules.json.
type stModule struct {
	Idx  int    `json:"idx"`
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"type"`
}

// stPromptRoles maps sentence-transformers prompt names to roles.
var stPromptRoles = map[string]Role{"query": RoleQuery, "document": RoleDocument, "passage": RoleDocument}

// activationNames maps the class names sentence-transformers writes as a
// Dense module's activation_function to HeadStep activations.
var activationNames = map[string]string{
	"Identity": "identity", "Tanh": "tanh", "ReLU": "relu", "GELU": "gelu", "Sigmoid": "sigmoid", "SiLU": "silu",
}

// ReadSentenceTransformers fills f from the sentence-transformers files of
// a model, fetched through get (a path relative to the model's root ->
// its local path; a missing file is an error wrapping fs.ErrNotExist): the
// modules of modules.json in order (Transformer first, then Pooling, Dense
// and Normalize modules, each applied; any other type is an error wrapping
// ErrSTModule that names it and its entry), max_seq_length from
// sentence_bert_config.json, the prompts, default prompt and similarity
// function from config_sentence_transformers.json, and the dimension (the
// last Dense's out_features, else the pooling's word_embedding_dimension,
// else config.json's hidden_size). Without modules.json the pooling comes
// from 1_Pooling/config.json (else mean), as before modules.json existed.
// Normalize is set: true when the model normalises last or its similarity
// is cosine (the same ranking), false for dot products of raw vectors.
func ReadSentenceTransformers(f *Folder, get func(rel string) (string, error)) error {
	readOpt := func(rel string, v any) (string, error) {
		p, err := get(rel)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return p, readSTJSON(p, v)
	}
	var mods []stModule
	modPath, err := readOpt(STModulesFile, &mods)
	if err != nil {
		return err
	}
	hasModules := modPath != ""
	if !hasModules {
		mods = []stModule{{Path: "", Type: "sentence_transformers.models.Transformer"}, {Path: "1_Pooling", Type: "sentence_transformers.models.Pooling", Idx: 1}}
	}
	st, err := readSTModules(f, mods, modPath, hasModules, get, readOpt)
	if err != nil {
		return err
	}
	if err := readSTConfig(f, modPath, st, readOpt); err != nil {
		return err
	}
	if st.dim == 0 {
		var c struct {
			Hidden int `json:"hidden_size"`
		}
		cp, err := readOpt("config.json", &c)
		if err != nil {
			return err
		}
		if c.Hidden < 0 || c.Hidden > MaxFolderDim {
			return fmt.Errorf("%s: hidden_size %d is outside [0, %d]", cp, c.Hidden, MaxFolderDim)
		}
		st.dim = c.Hidden
	}
	f.Dim = st.dim
	return nil
}

// stState is what reading the modules tells the rest of
// ReadSentenceTransformers.
type stState struct {
	dim           int  // the last Dense's out_features, else the pooling's dimension
	normalizeLast bool // the last module is a Normalize
	includePrompt bool // the Pooling module pools prompt tokens too
}

// readSTModules applies the modules in order to f (pooling, head, max
// length) and returns what the rest of the reading needs.
func readSTModules(f *Folder, mods []stModule, modPath string, hasModules bool, get func(string) (string, error), readOpt func(string, any) (string, error)) (stState, error) {
	f.Pooling, f.Head = "", nil
	st := stState{includePrompt: true}
	for i, m := range mods {
		entry := fmt.Sprintf("%s entry %d (type %q, path %q)", modPath, i, m.Type, m.Path)
		if !hasModules {
			entry = fmt.Sprintf("module %d (%s, no %s)", i, m.Type, STModulesFile)
		}
		if m.Path != "" && !filepath.IsLocal(filepath.FromSlash(m.Path)) {
			return st, fmt.Errorf("%s: path %q must stay inside the model folder", entry, m.Path)
		}
		typ := m.Type[strings.LastIndexByte(m.Type, '.')+1:]
		if !strings.HasPrefix(m.Type, "sentence_transformers.") {
			typ = ""
		}
		st.normalizeLast = false
		switch {
		case typ == "Transformer":
			if i != 0 {
				return st, fmt.Errorf("%s: %w: a Transformer module after the first", entry, ErrSTModule)
			}
			if m.Path != "" {
				return st, fmt.Errorf("%s: %w: the Transformer's files in a subfolder (mimo reads config.json, tokenizer.json and the weights at the model's root)", entry, ErrSTModule)
			}
			if err := readSTTransformer(f, m, entry, readOpt); err != nil {
				return st, err
			}
		case i == 0 && hasModules:
			return st, fmt.Errorf("%s: %w: the first module must be a Transformer", entry, ErrSTModule)
		case typ == "Pooling":
			if f.Pooling != "" {
				return st, fmt.Errorf("%s: %w: a second Pooling module", entry, ErrSTModule)
			}
			pooling, d, incl, err := readPooling(joinRel(m.Path, "config.json"), readOpt, hasModules)
			if err != nil {
				return st, fmt.Errorf("%s: %w", entry, err)
			}
			f.Pooling, st.dim, st.includePrompt = pooling, d, incl
		case typ == "Dense":
			if f.Pooling == "" {
				return st, fmt.Errorf("%s: %w: a Dense module before the Pooling module (a token-level Dense layer)", entry, ErrSTModule)
			}
			s, err := readDense(m, entry, get, readOpt)
			if err != nil {
				return st, err
			}
			if st.dim > 0 && s.InFeatures != st.dim {
				return st, fmt.Errorf("%s: in_features %d, but the module before it gives %d dimensions", entry, s.InFeatures, st.dim)
			}
			st.dim = s.OutFeatures
			f.Head = append(f.Head, s)
		case typ == "Normalize":
			if f.Pooling == "" {
				return st, fmt.Errorf("%s: %w: a Normalize module before the Pooling module", entry, ErrSTModule)
			}
			f.Head = append(f.Head, HeadStep{Type: StepNormalize, Module: entry})
			st.normalizeLast = true
		default:
			return st, fmt.Errorf("%s: %w: type %q (mimo applies Transformer, Pooling, Dense and Normalize modules)", entry, ErrSTModule, m.Type)
		}
	}
	if f.Pooling == "" {
		if hasModules {
			return st, fmt.Errorf("%s: %w: no Pooling module", modPath, ErrSTModule)
		}
		f.Pooling = "mean"
	}
	// A trailing Normalize is the folder's own normalisation.
	if st.normalizeLast {
		f.Head = f.Head[:len(f.Head)-1]
	}
	return st, nil
}

// readSTTransformer reads the Transformer module's sentence_bert_config.json:
// max_seq_length (do_lower_case is refused).
func readSTTransformer(f *Folder, m stModule, entry string, readOpt func(string, any) (string, error)) error {
	var bc struct {
		MaxSeqLength *int `json:"max_seq_length"`
		DoLowerCase  bool `json:"do_lower_case"`
	}
	bp, err := readOpt(joinRel(m.Path, STBertFile), &bc)
	if err != nil {
		return err
	}
	if bc.DoLowerCase {
		return fmt.Errorf("%s: %w: %s has do_lower_case true (lower-casing before tokenising is not implemented)", entry, ErrSTModule, bp)
	}
	if bc.MaxSeqLength != nil {
		if *bc.MaxSeqLength <= 0 || *bc.MaxSeqLength > MaxFolderMaxLength {
			return fmt.Errorf("%s: max_seq_length %d is outside [1, %d]", bp, *bc.MaxSeqLength, MaxFolderMaxLength)
		}
		f.MaxLength = *bc.MaxSeqLength
	}
	return nil
}

// readSTConfig reads config_sentence_transformers.json: prompts, default
// prompt and similarity function, which sets f.Normalize.
func readSTConfig(f *Folder, modPath string, st stState, readOpt func(string, any) (string, error)) error {
	var sc struct {
		Prompts           map[string]string `json:"prompts"`
		DefaultPromptName *string           `json:"default_prompt_name"`
		Similarity        *string           `json:"similarity_fn_name"`
	}
	scPath, err := readOpt(STConfigFile, &sc)
	if err != nil {
		return err
	}
	prompts, err := stPrompts(sc.Prompts, sc.DefaultPromptName)
	if err != nil {
		return fmt.Errorf("%s: %w", scPath, err)
	}
	if len(prompts) > 0 && !st.includePrompt {
		return fmt.Errorf("%s: %w: the Pooling module has include_prompt false (prompt tokens left out of the pooling), and the model has prompts", modPath, ErrSTModule)
	}
	if len(prompts) > 0 {
		f.Prompts = prompts
	}
	sim := "cosine"
	if sc.Similarity != nil && *sc.Similarity != "" {
		sim = *sc.Similarity
	}
	norm := true
	switch sim {
	case "cosine":
	case "dot":
		norm = st.normalizeLast
	case "euclidean":
		if !st.normalizeLast {
			return fmt.Errorf("%s: similarity_fn_name %q on vectors that are not normalised: mimo ranks by dot product, which gives another ranking", scPath, sim)
		}
	default:
		return fmt.Errorf("%s: similarity_fn_name %q: mimo ranks by cosine or dot product (supported: cosine, dot, euclidean after a Normalize module)", scPath, sim)
	}
	f.Normalize = &norm
	return nil
}

// readPooling reads a Pooling module's config.json: its one pooling mode
// (cls, mean or last-token; max, mean_sqrt_len, weightedmean and
// concatenations of several are not implemented), its dimension and
// include_prompt. A missing config means mean pooling when the model has
// no modules.json (the old layout), an error otherwise.
func readPooling(rel string, readOpt func(string, any) (string, error), required bool) (string, int, bool, error) {
	var pc struct {
		Dim           int     `json:"word_embedding_dimension"`
		Mode          *string `json:"pooling_mode"`
		CLS           bool    `json:"pooling_mode_cls_token"`
		Mean          *bool   `json:"pooling_mode_mean_tokens"` // the module default: true
		Max           bool    `json:"pooling_mode_max_tokens"`
		MeanSqrt      bool    `json:"pooling_mode_mean_sqrt_len_tokens"`
		WeightedMean  bool    `json:"pooling_mode_weightedmean_tokens"`
		LastToken     bool    `json:"pooling_mode_lasttoken"`
		IncludePrompt *bool   `json:"include_prompt"`
	}
	p, err := readOpt(rel, &pc)
	if err != nil {
		return "", 0, false, err
	}
	if p == "" {
		if required {
			return "", 0, false, fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
		}
		return "mean", 0, true, nil
	}
	if pc.Mode != nil {
		m := strings.ToLower(*pc.Mode)
		mean := m == "mean"
		pc.CLS, pc.Mean, pc.Max, pc.WeightedMean, pc.LastToken = m == "cls", &mean, m == "max", m == "weightedmean", m == "lasttoken"
		pc.MeanSqrt = m == "mean_sqrt_len_tokens"
	}
	mean := pc.Mean == nil || *pc.Mean
	var modes []string
	for _, c := range []struct {
		on   bool
		name string
	}{{pc.CLS, "cls"}, {mean, "mean"}, {pc.Max, "max"}, {pc.MeanSqrt, "mean_sqrt_len_tokens"}, {pc.WeightedMean, "weightedmean"}, {pc.LastToken, "lasttoken"}} {
		if c.on {
			modes = append(modes, c.name)
		}
	}
	if pc.Dim < 0 || pc.Dim > MaxFolderDim {
		return "", 0, false, fmt.Errorf("%s: word_embedding_dimension %d is outside [0, %d]", p, pc.Dim, MaxFolderDim)
	}
	incl := pc.IncludePrompt == nil || *pc.IncludePrompt
	switch {
	case len(modes) == 1 && modes[0] == "cls":
		return "cls", pc.Dim, incl, nil
	case len(modes) == 1 && modes[0] == "mean":
		return "mean", pc.Dim, incl, nil
	case len(modes) == 1 && modes[0] == "lasttoken":
		return "last-token", pc.Dim, incl, nil
	case len(modes) == 0:
		return "", 0, false, fmt.Errorf("%s: %w: no pooling mode set", p, ErrSTModule)
	}
	return "", 0, false, fmt.Errorf("%s: %w: pooling mode %s (mimo pools with cls, mean or lasttoken, one at a time)", p, ErrSTModule, strings.Join(modes, "+"))
}

// readDense reads a Dense module: its config.json and the presence of its
// safetensors weights (pytorch_model.bin alone is an error naming it).
func readDense(m stModule, entry string, get func(string) (string, error), readOpt func(string, any) (string, error)) (HeadStep, error) {
	cfgRel := joinRel(m.Path, "config.json")
	var dc struct {
		In         int     `json:"in_features"`
		Out        int     `json:"out_features"`
		Bias       *bool   `json:"bias"`
		Activation *string `json:"activation_function"`
	}
	cp, err := readOpt(cfgRel, &dc)
	if err != nil {
		return HeadStep{}, err
	}
	if cp == "" {
		return HeadStep{}, fmt.Errorf("%s: %s: %w", entry, cfgRel, fs.ErrNotExist)
	}
	if dc.In <= 0 || dc.Out <= 0 || dc.In > MaxFolderDim || dc.Out > MaxFolderDim {
		return HeadStep{}, fmt.Errorf("%s: %s: in_features %d, out_features %d: want both in [1, %d]", entry, cp, dc.In, dc.Out, MaxFolderDim)
	}
	act := "torch.nn.modules.activation.Tanh" // Dense's default
	if dc.Activation != nil {
		act = *dc.Activation
	}
	cls := act[strings.LastIndexByte(act, '.')+1:]
	name, known := activationNames[cls]
	if !known || !strings.HasPrefix(act, "torch.nn.") {
		return HeadStep{}, fmt.Errorf("%s: %s: %w: activation_function %q (supported: torch.nn Identity, Tanh, ReLU, GELU, Sigmoid, SiLU)", entry, cp, ErrSTModule, act)
	}
	s := HeadStep{Type: StepDense, Path: m.Path, InFeatures: dc.In, OutFeatures: dc.Out, Bias: dc.Bias == nil || *dc.Bias, Activation: name, Module: entry}
	wRel := joinRel(m.Path, DenseWeightsFile)
	if _, err := get(wRel); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return HeadStep{}, err
		}
		binRel := joinRel(m.Path, "pytorch_model.bin")
		if _, berr := get(binRel); berr == nil {
			return HeadStep{}, fmt.Errorf("%s: %w: the Dense weights are only in %s, a pickle, which mimo does not read: convert it to %s (safetensors.torch.save_file of its state_dict)", entry, ErrSTModule, binRel, wRel)
		}
		return HeadStep{}, fmt.Errorf("%s: no Dense weights (%s): %w", entry, wRel, fs.ErrNotExist)
	}
	return s, nil
}

// stPrompts maps the prompts of config_sentence_transformers.json to
// Folder prompts: "query" to the query role, "document" (else "passage")
// to the document role, MTEB's task-specific "<Task>-query" /
// "<Task>-document" / "<Task>-passage" names to "<Task>:role"; the prompt
// named by default_prompt_name goes to each role that has none (as
// SentenceTransformer.encode uses it when no prompt is asked for). Other
// names (prompts of other task types) are not used by retrieval.
func stPrompts(prompts map[string]string, def *string) (map[string]string, error) {
	out := map[string]string{}
	names := make([]string, 0, len(prompts))
	for n := range prompts {
		names = append(names, n)
	}
	slices.Sort(names) // "document" before "passage": document wins
	for _, n := range names {
		p := prompts[n]
		if p == "" {
			continue
		}
		key := ""
		if role, ok := stPromptRoles[n]; ok {
			key = string(role)
		} else if i := strings.LastIndexByte(n, '-'); i > 0 {
			if role, ok := stPromptRoles[n[i+1:]]; ok {
				key = n[:i] + ":" + string(role)
			}
		}
		if key == "" {
			continue
		}
		if _, set := out[key]; !set {
			out[key] = p
		}
	}
	if def != nil && *def != "" {
		p, ok := prompts[*def]
		if !ok {
			return nil, fmt.Errorf("default_prompt_name %q is not one of its prompts", *def)
		}
		for _, r := range []Role{RoleQuery, RoleDocument} {
			if _, set := out[string(r)]; !set && p != "" {
				out[string(r)] = p
			}
		}
	}
	return out, nil
}

// readSTJSON reads one JSON file of the layout (at most maxSTFileBytes),
// naming it in errors.
func readSTJSON(path string, v any) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxSTFileBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxSTFileBytes {
		return fmt.Errorf("%s: larger than %d bytes", path, maxSTFileBytes)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, jsonErr(b, err))
	}
	return nil
}

// LocalGetter is the get function of ReadSentenceTransformers for a
// folder on disk: the path of rel under dir, or an error wrapping
// fs.ErrNotExist.
func LocalGetter(dir string) func(rel string) (string, error) {
	return func(rel string) (string, error) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		st, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		if st.IsDir() {
			return "", fmt.Errorf("%s is a folder: %w", p, fs.ErrNotExist)
		}
		return p, nil
	}
}

// ReadPlainFolder describes a Hugging Face or sentence-transformers model
// folder that has no mimo-model.json (what `hf download` writes): kind
// "onnx" when it holds onnx/model.onnx (else model.onnx), else kind
// "native" for config.json and model.safetensors; tokenizer.json is
// required; the rest comes from ReadSentenceTransformers. The name is the
// folder's path (the files do not say which repository they came from).
func ReadPlainFolder(dir string) (Folder, error) {
	get := LocalGetter(dir)
	where := "model folder " + dir
	if _, err := get("tokenizer.json"); err != nil {
		return Folder{}, fmt.Errorf("%s: no %s and no tokenizer.json of a Hugging Face model: %w", where, FolderFile, err)
	}
	f := Folder{Dir: dir, Name: filepath.Clean(dir), Tokenizer: "tokenizer.json"}
	for _, c := range []string{"onnx/model.onnx", "model.onnx"} {
		if _, err := get(c); err == nil {
			f.Kind, f.ONNX = "onnx", c
			break
		}
	}
	if f.Kind == "" {
		var missing []string
		for _, n := range []string{"config.json", "model.safetensors"} {
			if _, err := get(n); err != nil {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			hint := ""
			if _, err := get("model.safetensors.index.json"); err == nil {
				hint = "; the weights are sharded (model.safetensors.index.json), which the native encoder does not read"
			} else if _, err := get("pytorch_model.bin"); err == nil {
				hint = "; pytorch_model.bin is a pickle, which mimo does not read"
			}
			return Folder{}, fmt.Errorf("%s: no %s, no onnx/model.onnx or model.onnx, and no %s for the native encoder%s", where, FolderFile, strings.Join(missing, ", "), hint)
		}
		f.Kind, f.Config, f.Weights = "native", "config.json", "model.safetensors"
	}
	if err := ReadSentenceTransformers(&f, get); err != nil {
		return Folder{}, fmt.Errorf("%s: %w", where, err)
	}
	return f, nil
}
