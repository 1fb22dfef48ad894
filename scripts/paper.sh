#!/usr/bin/env bash
# paper: the MIMO paper end to end, one command (issue 17; docs/paper.md says
# table by table what runs and what differs from the authors' setup):
#
#   1. the training corpora through `mimo-train data all` (training/corpora):
#      stage 1 from OPUS-100 filtered as Appendix B.1, stage 2 from mMARCO;
#   2. the teacher cache: the teacher's vectors of every English text, computed
#      once into WORK/teacher by the first run and read by every later one;
#   3. per student (xlm-roberta-large and mmBERT-base with mean pooling,
#      mmBERT-base with [CLS] pooling: Tables 2, 4 and 9) the four methods:
#      InfoNCE, XLCO and LaKDA on the stage-2 rows, MIMO stage 1 then stage 2;
#   4. on xlm-roberta-large the stage ablations (Table 3: stage 1 only, stage 2
#      only) and the lambda sweep (Figures 2 and 3; 0.2 is the MIMO run);
#   5. every model on the six MLIR tasks (and the eight of Tables 2 and 4 on
#      MIRACL), and the off-the-shelf models of Table 8;
#   6. OUT/report.md (mimo-report: every table and figure, significance,
#      settings) and OUT/paper-tables.md (the paper's Tables 2, 3, 4, 8, 9 and
#      Figures 2-5 in its shape, each cell "ours (paper)").
#
#   PAPER_SCALE=full scripts/paper.sh [OUT]   # the paper's scale, a GPU machine (default)
#   PAPER_SCALE=mini scripts/paper.sh [OUT]   # the same steps in miniature, minutes on 2 cores
#
# The two scales run the same commands; they differ in the values below:
# where the corpora come from (the Hub, or the fixture repositories of
# training/corpora/testdata in the Hub's layout), the students (the paper's,
# or tiny random-weight ones of the same architectures: adapters/onnx/testdata/
# tiny-xlmr, transformer/testdata/tiny-modernbert), the teacher
# (Qwen3-Embedding-8B behind an embedding server with its query prompt, or a
# 256-d lexical encoder), the hyper-parameters (Table 6, or small batches and
# lengths), the tasks (the paper's, or the embedded MiniMLIR) and the sweep.
# A step whose output exists is not redone; a stopped training resumes.
#
# Environment (full): TEACHER (required: the teacher spec, e.g. an embedding
# server URL serving Qwen/Qwen3-Embedding-8B; see adapters/httpenc), XLMR and
# MMBERT (students, default hf:FacebookAI/xlm-roberta-large and
# hf:jhu-clsp/mmBERT-base; pin with @commit), GOMLX_BACKEND (the GoMLX
# backend of training and the native encoder; default xla:cuda, the tools
# built with -tags xla),
# EVAL_ARGS (extra mimo-eval flags, e.g. "--device cuda"), HF_TOKEN and the
# hub client's variables. Both: WORK (default OUT/work), SEED (42), LAMBDAS
# (space-separated, each with a decimal point: "0.0 0.2 0.5 1.0"; 0.2 is the
# mimo run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scale=${PAPER_SCALE:-full}
out=${1:-$root/out/paper-$scale}
work=${WORK:-$out/work}
seed=${SEED:-42}
mkdir -p "$out" "$work"
PAPER_BIN=$work/bin PAPER_WORK=$work
# shellcheck source=scripts/paper-lib.sh
source scripts/paper-lib.sh
t0=$SECONDS

mlir=BelebeleMLIR,MLQAMLIR,XQuADMLIR,MultiEuPMLIR,NeuCLIR2022MLIR,NeuCLIR2023MLIR
case "$scale" in
full)
  data_args=()
  declare -A student=([xlmr-large]=${XLMR:-hf:FacebookAI/xlm-roberta-large} [mmbert-base]=${MMBERT:-hf:jhu-clsp/mmBERT-base})
  teacher=${TEACHER:?PAPER_SCALE=full needs TEACHER: the Qwen3-Embedding-8B teacher, e.g. the URL of an embedding server}
  teacher_args=(--teacher "$teacher" --teacher-prompt $'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: ')
  hyper=() # Table 6: mimo-train's defaults
  tasks=$mlir
  miracl=MIRACLRetrievalHardNegatives
  lambdas=${LAMBDAS:-0.0 0.2 0.4 0.6 0.8 1.0}
  offshelf=("$teacher" hf:Qwen/Qwen3-Embedding-0.6B hf:BAAI/bge-m3 hf:nomic-ai/nomic-embed-text-v2-moe
    hf:intfloat/multilingual-e5-large-instruct hf:intfloat/multilingual-e5-large hf:Alibaba-NLP/gte-Qwen2-1.5B-instruct)
  suffix=
  # GoMLX's XLA/PJRT backend (CUDA) is compiled in with -tags xla
  # (scripts/gpu-check.sh checks it); training and the native encoder use it.
  export GOFLAGS="${GOFLAGS:--tags=xla}"
  export GOMLX_BACKEND=${GOMLX_BACKEND:-xla:cuda}
  ;;
mini)
  data_args=(--hub-dir "$root/training/corpora/testdata/hub" --per-language 20)
  declare -A student=([xlmr-large]=$root/adapters/onnx/testdata/tiny-xlmr [mmbert-base]=$root/transformer/testdata/tiny-modernbert)
  mkdir -p "$work/teacher-model"
  echo '{"kind": "lexical", "name": "lexical-256", "dim": 256}' >"$work/teacher-model/mimo-model.json"
  teacher_args=(--teacher "$work/teacher-model")
  hyper=(--batch 32 --mini-batch 16 --max-length 32 --lr 1e-3)
  tasks=MiniMLIR
  miracl=
  lambdas=${LAMBDAS:-0.0 0.2 1.0}
  offshelf=("$work/teacher-model" lexical)
  suffix=-mini
  export GOMLX_BACKEND=go
  ;;
*)
  echo "paper: PAPER_SCALE=$scale: want full or mini" >&2
  exit 2
  ;;
esac

paper_build
echo "paper: $scale scale, tools built in $((SECONDS - t0))s; work folder $work"

# 1. The corpora (written once; a stopped build resumes).
t=$SECONDS
"$PAPER_BIN/mimo-train" data all --out "$work/corpora" --seed "$seed" "${data_args[@]}" >"$work/corpora.json"
cp "$work/corpora/stage1/manifest.json" "$out/stage1-manifest.json"
cp "$work/corpora/stage2/manifest.json" "$out/stage2-manifest.json"
pairs=jsonl:$work/corpora/stage1/pairs.jsonl
rows=jsonl:$work/corpora/stage2/rows.jsonl
echo "paper: corpora in $((SECONDS - t))s"

# 2-4. Training. The teacher cache (WORK/teacher) is filled by the first MIMO
# run and shared by all.
runs=$work/runs
common=(--seed "$seed" "${hyper[@]}")
distil=("${teacher_args[@]}" --teacher-cache "$work/teacher")
declare -a trained=()
train() { # train METHOD STUDENT-KEY ARGS...
  local name=$1-$2$suffix
  shift 2
  paper_train "$runs/$name" "$name" "${common[@]}" "$@"
  trained+=("$name")
}
for st in xlmr-large mmbert-base mmbert-base-cls; do
  s=${student[${st%-cls}]}
  pool=(--pooling mean)
  if [ "$st" = mmbert-base-cls ]; then pool=(--pooling cls); fi
  train mimo "$st" --method mimo --student "$s" "${pool[@]}" --pairs "$pairs" --rows "$rows" "${distil[@]}"
  for m in infonce xlco lakda; do
    train "$m" "$st" --method "$m" --student "$s" "${pool[@]}" --rows "$rows"
  done
done
s=${student[xlmr-large]}
train mimo-stage1 xlmr-large --method mimo --stage 1 --student "$s" --pairs "$pairs" "${distil[@]}"
train mimo-stage2 xlmr-large --method mimo --stage 2 --student "$s" --rows "$rows" "${distil[@]}"
for l in $lambdas; do
  if [ "$l" != 0.2 ]; then
    train "mimo-lambda$l" xlmr-large --method mimo --lambda "$l" --student "$s" --pairs "$pairs" --rows "$rows" "${distil[@]}"
  fi
done

# 5. Evaluation: MLIR for every model, MIRACL for Table 4's eight.
res=$work/results
read -r -a eval_args <<<"${EVAL_ARGS:-}"
for name in "${trained[@]}"; do
  ts=$tasks
  case "${name%"$suffix"}" in
  infonce-xlmr-large | xlco-xlmr-large | lakda-xlmr-large | mimo-xlmr-large | \
    infonce-mmbert-base | xlco-mmbert-base | lakda-mmbert-base | mimo-mmbert-base)
    if [ -n "$miracl" ]; then ts=$ts,$miracl; fi
    ;;
  esac
  paper_eval "$runs/$name" "$name" "$ts" "$res" "${eval_args[@]}"
done
i=0
for m in "${offshelf[@]}"; do
  paper_eval "$m" "offshelf-$i" "$tasks" "$res" "${eval_args[@]}"
  i=$((i + 1))
done

# 6. The reports.
"$PAPER_BIN/mimo-report" --results "$res" --out "$out/report.md" --title "The MIMO paper, $scale scale: every run"
"$PAPER_BIN/mimo-report" --results "$res" --paper-tables "$out/paper-tables.md" --paper-suffix "$suffix" \
  --paper-lambdas "$(echo "$lambdas" | tr ' ' ',')" --title "The MIMO paper's tables, $scale scale (ours (paper))"
echo "paper: done in $((SECONDS - t0))s: $out/paper-tables.md, $out/report.md"
