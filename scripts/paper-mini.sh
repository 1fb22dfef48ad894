#!/usr/bin/env bash
# paper-mini: the MIMO paper in miniature. The four methods (InfoNCE, XLCO,
# LaKDA, MIMO) train the same small student (the default model's tokenizer,
# config and warm start - or fresh weights when the recipe ran with
# BAGINIT=0 -, same seed) on the same data, and are evaluated
# on the same held-back MLIR data (XQuADHeldOut: the XQuAD articles training
# never reads; MiniMLIR: the embedded mini benchmark), next to the lexical
# baseline and the teacher. Writes:
#
#   OUT/report.md + OUT/figures/   mimo-report's tables and figures
#   OUT/summary.md, summary.json   per method: nDCG@20 per task, cross-lingual
#                                  nDCG@20, MRC@10, alignment, uniformity
#   OUT/significance.md            MIMO minus each method, nDCG@20 and
#                                  cross-lingual nDCG@20, with paired
#                                  randomisation p-values (mimo-report)
#
# As in the paper, the baselines train on the stage-2 rows (XQuAD training
# articles) with the stage-2 hyper-parameters; MIMO adds stage 1 (Tatoeba
# distillation) before its stage 2. MIMO's model is the one
# scripts/default-model.sh trains (see MIMO_FOLDER below). A baseline whose
# folder WORK/<method> already holds a model is not retrained.
#
# "Cross-lingual" scores restrict each query's qrels to the relevant
# documents in other languages than the query's (the whole corpus is still
# ranked), scored with `mimo-eval score` on the TREC runs.
#
#   scripts/paper-mini.sh [OUT_DIR]      # default: docs/paper-mini
#
# Environment: MIMO_DATA, WORK (default /tmp/mimo-paper-mini), and the
# default-model recipe knobs (see scripts/default-model.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${MIMO_DATA:-$root/../shared/data}
out=${1:-$root/docs/paper-mini}
work=${WORK:-/tmp/mimo-paper-mini}
python=${PYTHON:-/usr/bin/python3}
mkdir -p "$work/bin" "$out"
t0=$SECONDS

# MIMO (and the shared tokenizer, student config, teacher): the default-model
# recipe, run into WORK/default unless that run is already there.
# MIMO_FOLDER names the MIMO model folder to evaluate (default
# WORK/default/out); set it to adapters/mimo, with WORK/default/recipe.env
# from the run that built it, to report on the shipped model.
mimo_folder=${MIMO_FOLDER:-$work/default/out}
if [ ! -f "$work/default/recipe.env" ] || [ ! -f "$mimo_folder/mimo-model.json" ]; then
  WORK="$work/default" bash scripts/default-model.sh "$mimo_folder"
fi
# shellcheck disable=SC1091
source "$work/default/recipe.env"

# The tools (mimo-eval with the held-out XQuAD task registered), built by
# scripts/paper-lib.sh, which scripts/paper.sh shares.
export GOMLX_BACKEND=go
PAPER_BIN=$work/bin PAPER_WORK=$work
# shellcheck source=scripts/paper-lib.sh
source scripts/paper-lib.sh
paper_build

# The three baselines: stage-2 data and hyper-parameters, same student. As
# in the paper, where every method starts from the same pre-trained
# encoder, they start from the recipe's warm start when it has one
# (init_student), else from the same fresh weights.
student_args=(--student-config "$student_config" --tokenizer "$tokenizer")
if [ -n "${init_student:-}" ]; then student_args=(--student "$init_student"); fi
for m in infonce xlco lakda; do
  paper_train "$work/$m" "paper-mini-$m" --method "$m" --seed "$seed" "${student_args[@]}" \
    --rows "$rows" --batch "$batch" --mini-batch "$batch" --lr "$lr2" --max-length "$len2" --epochs "$stage2_epochs" \
    --checkpoint-every 50
done

# Evaluate every model on the same tasks, keeping the TREC runs.
res=$work/results
rm -rf "$res" "$work/runs"
mkdir -p "$work/runs"
tasks=MiniMLIR,XQuADHeldOut
declare -A model=([lexical]=lexical [infonce]="$work/infonce" [xlco]="$work/xlco" [lakda]="$work/lakda" [mimo]="$mimo_folder")
methods=(lexical infonce xlco lakda mimo)
# The warm start itself, untrained: what the four methods add to it.
if [ -n "${init_student:-}" ]; then model[init]=$init_student; methods=(lexical init infonce xlco lakda mimo); fi
for m in "${methods[@]}"; do
  MIMO_DATA=$data paper_eval "${model[$m]}" "$m" "$tasks" "$res" --no-cache --run-file "$work/runs/$m.{task}.run"
done
# The teacher on English only (the ceiling the distillation aims at).
MIMO_DATA=$data "$work/bin/mimo-eval" --model "$teacher" --tasks "$tasks" --langs en --output "$work/results-teacher-en" \
  --no-cache >"$work/eval-teacher-en.txt"
MIMO_DATA=$data "$work/bin/mimo-eval" --model lexical --tasks "$tasks" --langs en --output "$work/results-lexical-en" \
  --no-cache >"$work/eval-lexical-en.txt"

# Cross-lingual qrels (TREC format) from the task data: every relevant
# document in another language than the query's.
"$python" scripts/crosslingual-qrels.py "$root" "$data" "$work"
for m in "${methods[@]}"; do
  for task in MiniMLIR XQuADHeldOut; do
    "$work/bin/mimo-eval" score -m ndcg_cut.20 "$work/xl.$task.qrels" "$work/runs/$m.$task.run" \
      | awk -v m="$m" -v t="$task" '$1 == "ndcg_cut_20" && $2 == "all" {print m, t, $3}'
  done
done >"$work/crosslingual.txt"
# The report: mimo-report's tables and figures, then the per-method summary.
# Is MIMO's difference from each method more than chance? mimo-report's
# significance tables: paired randomisation tests of mimo-mini against each
# model on the per-query scores the extras keep (nDCG@20, and the
# cross-language nDCG@20), 20,000 draws, seed 12345; significance.md is
# those sections of the report.
"$work/bin/mimo-report" --results "$res" --out "$out/report.md" --baseline mimo-mini \
  --title "paper-mini: the four methods on held-back MLIR data"
awk '/^## .*: significance against /{p=1; print; next} /^## /{p=0} p' "$out/report.md" >"$out/significance.md"
cat "$out/significance.md"
"$python" - "$res" "$work" "$out" <<'PY'
import glob, json, sys
res, work, out = sys.argv[1:4]
names = {"lexical": "lexical", "paper-mini-infonce": "infonce", "paper-mini-xlco": "xlco",
         "paper-mini-lakda": "lakda", "mimo-mini": "mimo", "mimo-mini-baginit": "init"}
xl = {}
for line in open(f"{work}/crosslingual.txt"):
    m, t, v = line.split()
    xl[(m, t)] = float(v)
rows = {}
for f in glob.glob(f"{res}/*/*/mimo/*.json"):
    d = json.load(open(f))
    m = names.get(d["model"].split("/")[-1], d["model"])
    s = d["subsets"][0]
    main = json.load(open(f.replace("/mimo/", "/")))["scores"]["test"][0]["ndcg_at_20"]
    rows.setdefault(m, {})[d["task_name"]] = {
        "ndcg_at_20": main, "crosslingual_ndcg_at_20": xl.get((m, d["task_name"])),
        "mrc_at_10": s.get("mrc", {}).get("mrc_at_10", {}).get("mean"),
        "alignment": s.get("alignment"), "uniformity": s.get("uniformity"),
        "ndcg_at_20_by_query_lang": {l: v.get("ndcg_at_20") for l, v in s["by_query_lang"].items()},
    }
json.dump(rows, open(f"{out}/summary.json", "w"), indent=2, sort_keys=True)
order = ["lexical", "init", "infonce", "xlco", "lakda", "mimo"]
def fmt(x, scale=100):
    return "—" if x is None else f"{x * scale:.2f}"
lines = ["| method | XQuADHeldOut nDCG@20 | cross-lingual | MiniMLIR nDCG@20 | cross-lingual | MRC@10 (held-out) | MRC@10 (mini) | alignment (held-out) | uniformity (held-out) | alignment (mini) | uniformity (mini) |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for m in order:
    if m not in rows:
        continue
    h, n = rows[m].get("XQuADHeldOut", {}), rows[m].get("MiniMLIR", {})
    lines.append(f"| {m} | {fmt(h.get('ndcg_at_20'))} | {fmt(h.get('crosslingual_ndcg_at_20'))} | "
                 f"{fmt(n.get('ndcg_at_20'))} | {fmt(n.get('crosslingual_ndcg_at_20'))} | "
                 f"{fmt(h.get('mrc_at_10'), 1)} | {fmt(n.get('mrc_at_10'), 1)} | "
                 f"{fmt(h.get('alignment'), 1)} | {fmt(h.get('uniformity'), 1)} | {fmt(n.get('alignment'), 1)} | {fmt(n.get('uniformity'), 1)} |")
open(f"{out}/summary.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
for f in "$work"/eval-teacher-en.txt "$work"/eval-lexical-en.txt; do
  echo "== $(basename "$f" .txt)"; grep -E '^[│┌├└]' "$f"
done >"$out/english-only.txt"
cat "$out/english-only.txt"
echo "paper-mini: done in $((SECONDS - t0))s ($out)"
