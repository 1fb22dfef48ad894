#!/usr/bin/env bash
# gpu-check.sh: do mimo's encoders run on a GPU here?
#
# Run it on a machine with an NVIDIA GPU. It never downloads anything; it
# reports what it finds and checks two GPU paths:
#
# 1. ONNX Runtime's CUDA provider (mimo-eval --device cuda, kind onnx):
#    internal/cmd/onnxcuda encodes a fixed text set (8 texts, 5 scripts) with
#    one ONNX model folder (ONNX_MODEL, default the tiny test model
#    adapters/onnx/testdata/tiny-xlmr) on the CPU and on CUDA and compares the
#    vectors: tolerance, every CUDA vector's cosine with its CPU twin >= 0.9999
#    and every component of the normalised vectors within 2e-3 (ONNX_COS,
#    ONNX_ABS; not equality: CUDA kernels sum in other orders and may use TF32
#    on Ampere and later). The library is $ONNXRUNTIME_LIB (or the project's),
#    which must be an onnxruntime-gpu build (README, "GPU encoding").
#    Without a GPU it still runs the CPU side against itself (a self-test of
#    the comparison) and reports the CUDA side as skipped.
#
# 2. The native (GoMLX) encoder on the XLA CUDA backend
#    (GOMLX_BACKEND=xla:cuda), when a PJRT CUDA plugin is present; then bf16
#    training, and with 2+ GPUs data-parallel training: the engine's and the
#    optimiser's executables on a DeviceMesh of 2 GPUs (GoMLX AutoSharding)
#    against the same computation on one GPU (Go tests), and mimo-train
#    --devices 2 on two GPUs against the same command on one
#    (CUDA_VISIBLE_DEVICES=0, the emulation), logged losses within DP_TOL
#    (default 1e-4, relative). Each section prints RESULT, SKIP or FAILED.
#
# Exit status: 0 when every path that could run passed (also when no GPU is
# visible: everything skipped, said so); 1 when a check failed; 2 when a GPU
# is visible but a path could not run (no CUDA-capable ONNX Runtime, no PJRT
# plugin).
#
# What the XLA path needs (see docs/decisions.md, "GPU path"):
#   - the binary built with `-tags xla` (imports GoMLX's XLA/PJRT backend;
#     cgo, dlopen of the plugin at run time);
#   - a PJRT CUDA plugin named pjrt_c_api_cuda_plugin.so in
#     $PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla or /usr/local/lib/go-xla.
#     GoMLX v0.26.0 (go-xla v0.1.4) installs it from JAX's PyPI wheel
#     jax-cuda13-pjrt (or jax-cuda12-pjrt): the wheel's xla_cuda_plugin.so,
#     renamed, with the NVIDIA libraries (cuBLAS, cuDNN, ...) in ../nvidia
#     relative to the plugin (the plugin's RPATH). A JAX installation's
#     jax_plugins/xla_cuda12/xla_cuda_plugin.so is the same file, so it
#     should serve when linked under that name -- UNVERIFIED: no GPU was
#     available when this was written.
#   - go-xla v0.1.4 sets XLA_FLAGS=--xla_gpu_cuda_data_dir to a path left
#     from its author's machine (/home/janpf/...) unless XLA_FLAGS already
#     names one; this script sets it to the nvidia/ directory it finds.
#
# Usage: scripts/gpu-check.sh [plugin-dir]
set -u
cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*"; }

say "== GPU"
gpu=0
if command -v nvidia-smi >/dev/null 2>&1; then
	if nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; then
		gpu=1
	else
		say "nvidia-smi failed: no usable GPU"
	fi
else
	say "no nvidia-smi on PATH: no NVIDIA driver visible"
fi
unavailable=0
failed=0

say "== ONNX Runtime CUDA provider vs CPU"
say "library: ${ONNXRUNTIME_LIB:-third_party/onnxruntime/libonnxruntime.so.1 (the default)}"
onnx_model=${ONNX_MODEL:-adapters/onnx/testdata/tiny-xlmr}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
onnxcuda=$tmp/onnxcuda
if ! go build -o "$onnxcuda" ./internal/cmd/onnxcuda; then
	say "RESULT: ONNX check FAILED to build"
	exit 1
fi
onnx_args=(-model "$onnx_model" -cos "${ONNX_COS:-0.9999}" -abs "${ONNX_ABS:-2e-3}")
if [ "$gpu" = 0 ]; then
	# No GPU: the CPU side against itself, so the comparison still runs.
	if "$onnxcuda" "${onnx_args[@]}" -device cpu; then
		say "self-test (cpu vs cpu) passed"
	else
		say "RESULT: ONNX CPU self-test FAILED"
		exit 1
	fi
	say "RESULT: SKIP ONNX CUDA check: no NVIDIA GPU visible"
	say "RESULT: SKIP native xla:cuda check: no NVIDIA GPU visible"
	exit 0
fi
"$onnxcuda" "${onnx_args[@]}" -device "${ONNX_DEVICE:-cuda:0}"
case $? in
	0) say "RESULT: ONNX CUDA vectors match the CPU's within the tolerance" ;;
	3) say "RESULT: ONNX CUDA provider unavailable (above: the library in use and why)"; unavailable=1 ;;
	*) say "RESULT: ONNX CUDA check FAILED (above)"; exit 1 ;;
esac

say "== PJRT CUDA plugin"
dirs=()
[ $# -ge 1 ] && dirs+=("$1")
[ -n "${PJRT_PLUGIN_LIBRARY_PATH:-}" ] && IFS=: read -r -a extra <<<"$PJRT_PLUGIN_LIBRARY_PATH" && dirs+=("${extra[@]}")
dirs+=("$HOME/.local/lib/go-xla" "$HOME/.local/lib/go-xla/nvidia" "/usr/local/lib/go-xla" "/usr/local/lib/go-xla/nvidia")
plugin=""
for d in "${dirs[@]}"; do
	if [ -f "$d/pjrt_c_api_cuda_plugin.so" ]; then
		plugin="$d/pjrt_c_api_cuda_plugin.so"
		break
	fi
done
if [ -z "$plugin" ]; then
	say "no pjrt_c_api_cuda_plugin.so in: ${dirs[*]}"
	# A JAX CUDA plugin from a Python installation, if any, as a candidate.
	for py in python3 python; do
		command -v "$py" >/dev/null 2>&1 || continue
		cand=$("$py" - <<'EOF' 2>/dev/null
import glob, os, site
for d in site.getsitepackages() + [site.getusersitepackages()]:
    for p in glob.glob(os.path.join(d, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so")):
        print(p)
EOF
)
		if [ -n "$cand" ]; then
			say "JAX CUDA PJRT plugin(s) found (candidates, unverified with GoMLX):"
			say "$cand"
			say "to try one: mkdir -p ~/.local/lib/go-xla && ln -s <that file> ~/.local/lib/go-xla/pjrt_c_api_cuda_plugin.so"
			say "            and link the site-packages nvidia/ directory as ~/.local/lib/nvidia (the plugin's RPATH is \$ORIGIN/../nvidia)"
		fi
	done
	say "RESULT: no CUDA PJRT plugin; the native encoder runs on the pure-Go backend only"
	exit 2
fi
say "plugin: $plugin"
nv="$(dirname "$(dirname "$plugin")")/nvidia"
if [ -d "$nv" ]; then
	say "nvidia libraries: $nv"
	export XLA_FLAGS="${XLA_FLAGS:-} --xla_gpu_cuda_data_dir=$nv"
else
	say "WARNING: no nvidia/ directory at $nv (the plugin's RPATH); XLA may not find cuBLAS/cuDNN/ptxas"
fi
export PJRT_PLUGIN_LIBRARY_PATH="$(dirname "$plugin")"
export GOMLX_NO_AUTO_INSTALL=1

say "== native encoder on GOMLX_BACKEND=xla:cuda"
if GOMLX_BACKEND=xla:cuda go test -tags xla -count=1 -run 'PyTorch|Padding|Backend|ModernBERT|Gradients' -v ./transformer/ ./adapters/native/ 2>&1 | tail -40; then
	say "RESULT: native encoder tests pass on xla:cuda"
else
	say "RESULT: native encoder tests FAILED on xla:cuda (output above)"
	exit 1
fi
say "== forward benchmark, xla:cuda vs go"
GOMLX_BACKEND=xla:cuda go test -tags xla -run '^$' -bench 'Forward' -benchtime 20x ./transformer/ 2>&1 | grep -E '^Benchmark|ok|FAIL'
GOMLX_BACKEND=go go test -run '^$' -bench 'Forward' -benchtime 5x ./transformer/ 2>&1 | grep -E '^Benchmark|ok|FAIL'

say "== bf16 compute on xla:cuda (training --dtype bf16)"
# The encoder in bf16 against f32, then one mimo-train step each way on the
# real data (first-step losses within 2%, dtype recorded, resume refused).
GOMLX_BACKEND=xla:cuda go test -tags xla -count=1 -run 'BFloat16|ComputeDType' -v ./transformer/ 2>&1 | tail -20
enc=${PIPESTATUS[0]}
GOMLX_BACKEND=xla:cuda go test -tags xla -count=1 -run 'TestTrainBFloat16' -v ./cmd/mimo-train/ 2>&1 | tail -10
run=${PIPESTATUS[0]}
if [ "$enc" -eq 0 ] && [ "$run" -eq 0 ]; then
	say "RESULT: bf16 encoder and training tests pass on xla:cuda"
else
	say "RESULT: bf16 tests FAILED on xla:cuda (encoder rc $enc, training rc $run; output above)"
	failed=1
fi

say "== data-parallel training over the GPUs of this machine (--devices, --batch-mode)"
ngpu=0
command -v nvidia-smi >/dev/null 2>&1 && ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
if [ "$ngpu" -ge 2 ]; then
	dp_fail=0
	# 1. The Go tests on xla:cuda. gradcache: TestDataParallelStep (the
	#    engine's four executables and AdamW's update compiled by the
	#    engine's Plan with AutoSharding over a DeviceMesh of 2 GPUs vs the
	#    same Layout emulated on one GPU, dropout on: losses, gradients,
	#    weights, random state), TestDataParallelAutoSharding (a whole step
	#    in raw GoMLX), the plan and layout tests; optim: the update's plan;
	#    training and cmd/mimo-train: the choice of execution, its note and
	#    its record in training.json, and TestTrainDevices (mimo-train
	#    --devices 2 data-parallel vs --devices 1, global batch).
	for pkg in ./training/gradcache/ ./training/optim/ ./training/ ./cmd/mimo-train/; do
		log=$tmp/dp-test.log
		GOMLX_BACKEND=xla:cuda go test -tags xla -count=1 -v \
			-run 'DataParallel|Plan|EngineExecutables|ShardArgs|Uneven|Layout|OneDeviceLayouts|PerDeviceIsDataParallel|AdamW|DeviceExecution|BatchModes|TrainDevices' \
			"$pkg" >"$log" 2>&1
		rc=$?
		grep -E '^(--- |ok|FAIL|panic)|_test\.go:[0-9]+:' "$log" | grep -v '^    --- PASS' | tail -40
		if [ "$rc" -ne 0 ]; then
			dp_fail=1
			say "FAILED: $pkg on xla:cuda (the log: $(tail -5 "$log" | tr '\n' ' '))"
		fi
		grep -E '^--- SKIP' "$log" | sed "s|^|SKIPPED in $pkg: |"
	done
	# 2. mimo-train --devices 2 on two GPUs (data-parallel) vs the same
	#    command on one (CUDA_VISIBLE_DEVICES=0: the emulation, the 2 shards
	#    one after the other), for both batch modes, dropout on: the logged
	#    losses agree within DP_TOL (relative, default 1e-4; not equality:
	#    the gradient all-reduce sums in another order).
	if go build -tags xla -o "$tmp/mimo-train" ./cmd/mimo-train; then
		rows=$tmp/rows.jsonl
		: >"$rows"
		for i in $(seq 0 31); do
			printf '{"id":"r%d","query":{"en":"where is the river %d near the city","de":"wo ist der Fluss %d bei der Stadt"},"positive":{"en":"the river %d lies beside the old city","de":"der Fluss %d liegt neben der alten Stadt"}}\n' "$i" "$i" "$i" "$i" "$i" >>"$rows"
		done
		losses() { grep -o '"loss":[^,]*' "$1/train-log.jsonl" | cut -d: -f2; }
		for mode in global per-device; do
			args=(--method xlco --student adapters/onnx/testdata/tiny-xlmr --rows "jsonl:$rows" --langs de,en
				--steps 3 --batch 8 --mini-batch 4 --max-length 32 --lr 1e-4 --devices 2 --batch-mode "$mode" --quiet)
			GOMLX_BACKEND=xla:cuda "$tmp/mimo-train" "${args[@]}" --output "$tmp/dp-$mode" >/dev/null 2>"$tmp/dp-$mode.err"
			a=$?
			CUDA_VISIBLE_DEVICES=0 GOMLX_BACKEND=xla:cuda "$tmp/mimo-train" "${args[@]}" --output "$tmp/seq-$mode" >/dev/null 2>"$tmp/seq-$mode.err"
			b=$?
			if [ "$a" -ne 0 ] || [ "$b" -ne 0 ]; then
				say "FAILED: mimo-train --devices 2 --batch-mode $mode: exit $a on 2 GPUs, $b on one"
				tail -3 "$tmp/dp-$mode.err" "$tmp/seq-$mode.err"
				dp_fail=1
				continue
			fi
			grep -h 'devices 2:' "$tmp/dp-$mode.err" "$tmp/seq-$mode.err"
			grep -ho '"device_execution": *"[^"]*"' "$tmp/dp-$mode/training.json" "$tmp/seq-$mode/training.json" | tr '\n' ' '
			echo
			if paste <(losses "$tmp/dp-$mode") <(losses "$tmp/seq-$mode") | awk -v tol="${DP_TOL:-1e-4}" -v mode="$mode" '
				{ n++; d = $1 - $2; if (d < 0) d = -d; s = $2 < 0 ? -$2 : $2; r = d / (s > 0 ? s : 1); if (r > worst) worst = r
				  printf "  %s step %d: loss %s on 2 GPUs, %s on one (relative difference %.2g)\n", mode, n, $1, $2, r }
				END { exit (n == 3 && worst <= tol) ? 0 : 1 }'; then
				say "RESULT: mimo-train --devices 2 --batch-mode $mode: data-parallel losses equal the emulation's within ${DP_TOL:-1e-4}"
			else
				say "RESULT: mimo-train --devices 2 --batch-mode $mode: data-parallel and emulated losses DIFFER (above)"
				dp_fail=1
			fi
		done
	else
		say "FAILED: mimo-train did not build with -tags xla"
		dp_fail=1
	fi
	if [ "$dp_fail" -eq 0 ]; then
		say "RESULT: data-parallel training on 2 of $ngpu GPUs equals the one-device computation"
	else
		say "RESULT: data-parallel checks FAILED on $ngpu GPUs (above)"
		failed=1
	fi
else
	say "SKIP: $ngpu GPU(s) visible; the data-parallel checks (TestDataParallelStep, TestDataParallelAutoSharding, TestTrainDevices, mimo-train --devices 2 on 2 GPUs vs 1) need 2 or more"
fi

exit $((failed ? 1 : unavailable ? 2 : 0))
