# shellcheck shell=bash
# paper-lib: the steps scripts/paper.sh (the paper at full or miniature
# scale) and scripts/paper-mini.sh (the real-data study) share. Source it
# after setting PAPER_BIN (where the tools go) and PAPER_WORK (scratch).

# paper_build: mimo-train, mimo-report, and mimo-eval with the held-out
# XQuAD task (tasks/heldout) registered: an overlay adds the import when
# cmd/mimo-eval lacks it (harmless when it has it). The overlay's source
# sits in a folder whose name starts with "_", which ./... skips (PAPER_WORK
# may be inside the module).
paper_build() {
  local root src=$PAPER_WORK/_overlay
  root=$(pwd)
  mkdir -p "$PAPER_BIN" "$src"
  printf 'package main\n\nimport _ "github.com/mimo-mlir/mimo/tasks/heldout"\n' >"$src/heldout_import.go"
  printf '{"Replace": {"%s": "%s"}}\n' "$root/cmd/mimo-eval/zz_paper_heldout.go" "$src/heldout_import.go" >"$PAPER_WORK/overlay.json"
  go build -overlay "$PAPER_WORK/overlay.json" -o "$PAPER_BIN/" ./cmd/mimo-eval
  go build -o "$PAPER_BIN/" ./cmd/mimo-train ./cmd/mimo-report
}

# paper_train OUT NAME MIMO-TRAIN-ARGS...: trains the model NAME into OUT
# unless OUT already holds a model; a run that was stopped resumes from its
# checkpoint (mimo-train --resume: a changed configuration is refused).
paper_train() {
  local out=$1 name=$2 t=$SECONDS
  shift 2
  if [ -f "$out/mimo-model.json" ]; then
    echo "paper: $name already trained ($out)"
    return
  fi
  mkdir -p "$(dirname "$out")"
  "$PAPER_BIN/mimo-train" "$@" --name "$name" --output "$out" --resume --quiet >"$out.summary.json"
  echo "paper: $name trained in $((SECONDS - t))s"
}

# paper_eval MODEL LABEL TASKS RESULTS MIMO-EVAL-ARGS...: evaluates MODEL
# on TASKS into RESULTS; its table goes to PAPER_WORK/eval-LABEL.txt.
paper_eval() {
  local model=$1 label=$2 tasks=$3 res=$4 t=$SECONDS
  shift 4
  "$PAPER_BIN/mimo-eval" --model "$model" --tasks "$tasks" --output "$res" "$@" >"$PAPER_WORK/eval-$label.txt"
  echo "paper: $label evaluated in $((SECONDS - t))s"
}
