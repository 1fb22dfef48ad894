# mimo: multilingual information retrieval evaluation and training.
# `make eval` runs the main job on the embedded default; `make test` runs the tests.

GO      ?= go
BIN     := bin
ORT_LIB := third_party/onnxruntime/libonnxruntime.so.1
export ONNXRUNTIME_LIB ?= $(CURDIR)/$(ORT_LIB)
export GOMLX_BACKEND ?= go

.PHONY: all build eval test test-short test-race lint fmt bench bench-search bench-metrics bench-encode bench-train bench-stream bench-native \
        train-smoke recipe-deps default-model paper-mini paper ort clean fuzz test-browser

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The ONNX Runtime shared library, from the npm package onnxruntime-node (no install scripts run).
ort: $(ORT_LIB)
$(ORT_LIB):
	bash scripts/get-onnxruntime.sh

# Main job: evaluate the embedded default model on the embedded mini benchmark, offline.
eval: build
	./$(BIN)/mimo-eval

test: ort
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

# The HTML report in headless Chromium over the DevTools protocol (chromedp):
# needs Debian's chromium (apt-get install chromium; CHROMIUM= names another).
test-browser:
	$(GO) test -count=1 -tags browser -run TestHTMLInBrowser ./reports/

test-short:
	$(GO) test -short ./...

# Every Go fuzz target (func FuzzXxx in a fuzz_test.go) for FUZZTIME each,
# one worker, one target per go test run (scripts/fuzz.sh lists them and
# tells Go 1.26's end-of-fuzztime race, golang/go#75804, from a crash). A
# failing input stays under the package's testdata/fuzz/FuzzXxx/ as a
# regression seed; `go test` replays all of them. CI runs FUZZTIME=5s.
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash scripts/fuzz.sh

# Every test under the race detector (slower; not part of CI's run).
test-race: ort
	$(GO) test -race -count=1 -timeout 60m ./...

# golangci-lint, pinned, built from the Go module proxy into bin/tools
# (.golangci.yml says what it checks and why each exclusion is there).
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT := bin/tools/golangci-lint-$(GOLANGCI_LINT_VERSION)

$(GOLANGCI_LINT):
	mkdir -p bin/tools
	GOBIN=$(CURDIR)/bin/tools.tmp $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv bin/tools.tmp/golangci-lint $@ && rmdir bin/tools.tmp

lint: $(GOLANGCI_LINT)
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

# Rewrites the files lint's formatters flag (gofmt, import groups).
fmt: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) fmt ./...

# Every side-by-side benchmark, then one table of their ratios (scripts/bench.sh).
bench: ort
	bash scripts/bench.sh

bench-search:
	bash scripts/bench-search.sh

bench-metrics:
	bash scripts/bench-metrics.sh

bench-encode: ort
	bash scripts/bench-encode.sh

bench-train:
	bash scripts/bench-train.sh

bench-native: ort
	bash scripts/bench-native.sh

train-smoke: ort
	bash scripts/train-smoke.sh

# Debian packages the two recipes below need (tokenizer training, dictionaries).
recipe-deps:
	bash scripts/recipe-deps.sh

default-model: ort
	bash scripts/default-model.sh

paper-mini: ort
	bash scripts/paper-mini.sh

# The paper end to end (scripts/paper.sh, docs/paper.md): PAPER_SCALE=full
# (default; a GPU machine, the Hub, TEACHER=<Qwen3-Embedding-8B server>) or
# PAPER_SCALE=mini (fixture corpora, tiny students, ~5 min on 2 cores; CI
# runs it). Outputs under out/paper-$(PAPER_SCALE)/.
PAPER_SCALE ?= full
paper: ort
	PAPER_SCALE=$(PAPER_SCALE) bash scripts/paper.sh

clean:
	rm -rf $(BIN)

# Search of a corpus beyond RAM (--search-block): a corpus that fits, in
# memory vs streamed from the cache, then 5M x 768 (15 GB) streamed, with
# peak RSS (docs/performance.md). Needs ~16 GB free under DIR (default /tmp).
bench-stream:
	bash scripts/stream-search-bench.sh $(DIR)
