// Package mimo is the folder of mimo-mini, the embedded default model: a
// small multilingual student (its own SentencePiece Unigram vocabulary, a
// 1-layer XLM-R-shaped encoder, a few MB of half-precision safetensors)
// trained by this project's own pipeline: a closed-form warm start
// (`mimo-train --init-bag`, training/baginit.go), then MIMO stage 1 and
// stage 2, distilling an English lexical teacher. `mimo-eval` with no flags
// evaluates it.
//
// The folder is data, not code: mimo-model.json (kind "native", opened by
// adapters/native), config.json, model.safetensors, tokenizer.json,
// training.json (the run's settings) and README.md (the model card).
// scripts/default-model.sh (`make default-model`) rebuilds all of it from
// the training data it names. This Go package only holds the tests of the
// shipped model against the lexical baseline on the cross-lingual queries
// of the mini benchmark (see mimo_test.go and docs/paper-mini.md).
package mimo
