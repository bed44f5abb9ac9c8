#!/usr/bin/env bash
# The prepared GPU check: everything the CUDA backend needs verified on a GPU, in one run of at most
# 9 minutes on a fresh machine (planned for one H200 and 16 cores):
#
#     benchmarks/gpu_check.sh [OUTDIR]        # OUTDIR: default $OUT when set, else ./gpu_check_out
#
#  1. build   the extension for this GPU only (compute capability from nvidia-smi) in build/gpu-check,
#             with the CUDA toolkit the driver supports: TG_CUDA_ROOT when set, else the nvcc on the PATH,
#             else (when that nvcc is newer than the driver) /usr/local/cuda-<driver's major>*;
#  2. pytest  `pytest tests -m cuda` with TG_REQUIRE_CUDA=1: a GPU that cannot be used fails, never skips;
#  3. memcheck, racecheck: compute-sanitizer on a representative subset (SANITIZER_TESTS below: every kernel
#             family) with TG_CUDA_NO_CACHE=1, in parallel with
#  4. cifar10 the blitz classifier: python examples/cifar10_tutorial.py --device cuda --no-progress, and the
#             same under autocast (--amp: float16 with a GradScaler), whose held-out accuracy must be within
#             2 points of float32's (row amp_accuracy);
#  5. bench   python benchmarks/bench_cuda.py, alone on the GPU (its timings), last.
# Each step has a time limit (a step that exceeds it fails as TIMEOUT) and a later step is skipped when the
# whole run could exceed BUDGET_S. Output: OUTDIR/gpu_check.log (every step's output, in order) and
# OUTDIR/results.md (one row per step: status, seconds, summary). Exit status 0 when every step passed;
# without a GPU it says so and exits 0.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUTDIR=${1:-${OUT:-$ROOT/gpu_check_out}}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
LOG=$OUTDIR/gpu_check.log
RESULTS=$OUTDIR/results.md
PY=${PYTHON:-python3}
BUDGET_S=${BUDGET_S:-540}
RESERVE_S=0  # seconds kept back for the steps after the current one
START=$SECONDS
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
: > "$LOG"

log() { echo "$*" | tee -a "$LOG"; }
elapsed() { echo $((SECONDS - START)); }

{
  echo "# tinygrad_ext GPU check"
  echo
  echo "| step | status | seconds | summary |"
  echo "|---|---|---|---|"
} > "$RESULTS"
FAILED=0
row() {  # name status seconds summary
  local summary=${4//|/\\|}
  echo "| $1 | $2 | $3 | ${summary:0:300} |" >> "$RESULTS"
  [ "$2" = PASS ] || FAILED=1
}

# ------------------------------------------------------------------ 0. the machine
if ! command -v nvidia-smi > /dev/null 2>&1 || ! nvidia-smi -L > "$WORK/gpus" 2>&1 || ! grep -q "^GPU" "$WORK/gpus"; then
  log "gpu_check: no NVIDIA GPU found (nvidia-smi missing or listing none): nothing to check"
  row machine SKIPPED 0 "no NVIDIA GPU on this machine"
  exit 0
fi
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
CC=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' ')
ARCH=${TG_GPU_ARCH:-${CC/./}}
DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)
DRIVER_CUDA=$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9][0-9.]*\).*/\1/p' | head -1)
log "GPU: $GPU_NAME (compute capability $CC, building sm_$ARCH); driver $DRIVER (CUDA $DRIVER_CUDA)"
log "$(nproc) cores, $("$PY" --version 2>&1) at $(command -v "$PY")"

# The toolkit: a driver runs code of its own CUDA major version or older only.
nvcc_release() { "$1" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9.]*\),.*/\1/p'; }
if [ -z "${TG_CUDA_ROOT:-}" ] && command -v nvcc > /dev/null 2>&1; then
  NVCC_VER=$(nvcc_release nvcc)
  if [ -n "$DRIVER_CUDA" ] && [ "${NVCC_VER%%.*}" -gt "${DRIVER_CUDA%%.*}" ] 2>/dev/null; then
    CAND=$(ls -d /usr/local/cuda-"${DRIVER_CUDA%%.*}"* 2>/dev/null | sort -V | tail -1)
    if [ -n "$CAND" ] && [ -x "$CAND/bin/nvcc" ]; then
      export TG_CUDA_ROOT=$CAND
      log "nvcc $NVCC_VER is newer than the driver's CUDA $DRIVER_CUDA: building with $CAND"
    else
      log "WARNING: nvcc $NVCC_VER is newer than the driver's CUDA $DRIVER_CUDA and no /usr/local/cuda-${DRIVER_CUDA%%.*}* exists: expect 'driver too old'"
    fi
  fi
fi
[ -n "${TG_CUDA_ROOT:-}" ] && log "TG_CUDA_ROOT=$TG_CUDA_ROOT"

# run_step NAME LIMIT_S SUMMARY_CMD FAIL_REGEX -- COMMAND...: runs COMMAND with a time limit, its output in
# $WORK/NAME.log. SUMMARY_CMD (a shell snippet; the log's path is "$1") gives the results row's summary; output
# matching FAIL_REGEX (grep -E; "" for none) fails the step even when COMMAND exits 0. Sets STEP_RC.
run_step() {
  local name=$1 limit=$2 summary_cmd=$3 fail_regex=$4
  shift 5
  local left=$((BUDGET_S - RESERVE_S - $(elapsed)))
  if [ "$left" -lt 20 ]; then
    echo "SKIPPED: out of time (${left}s of the ${BUDGET_S}s budget left)" > "$WORK/$name.log"
    echo "SKIPPED 0 out of time" > "$WORK/$name.status"
    STEP_RC=1
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local t0=$SECONDS
  echo "\$ $*  (limit ${limit}s)" > "$WORK/$name.log"
  timeout --kill-after=15 "$limit" "$@" >> "$WORK/$name.log" 2>&1
  STEP_RC=$?
  local secs=$((SECONDS - t0)) status=PASS
  if [ "$STEP_RC" -eq 124 ] || [ "$STEP_RC" -eq 137 ]; then status=TIMEOUT
  elif [ "$STEP_RC" -ne 0 ] && grep -q "Device not supported" "$WORK/$name.log"; then status=UNAVAILABLE
  elif [ "$STEP_RC" -ne 0 ]; then status=FAIL
  elif [ -n "$fail_regex" ] && grep -qE "$fail_regex" "$WORK/$name.log"; then status=FAIL; fi
  local summary
  summary=$(bash -c "$summary_cmd" _ "$WORK/$name.log" 2>/dev/null | tr '\n' ' ')
  if [ "$status" != PASS ]; then
    if [ "$STEP_RC" -eq 0 ]; then summary="output matched /$fail_regex/; $summary"; else summary="exit $STEP_RC; $summary"; fi
  fi
  echo "$status $secs $summary" > "$WORK/$name.status"
}
# Appends a finished step to the log (at most the first 400 and last 1600 lines) and the results table.
report_step() {
  local name=$1
  {
    echo
    echo "==================================================================== $name"
    if [ "$(wc -l < "$WORK/$name.log")" -gt 2000 ]; then
      head -400 "$WORK/$name.log"; echo "... ($(wc -l < "$WORK/$name.log") lines; middle left out) ..."
      tail -1600 "$WORK/$name.log"
    else
      cat "$WORK/$name.log"
    fi
  } >> "$LOG"
  local status secs summary
  read -r status secs summary < "$WORK/$name.status"
  row "$name" "$status" "$secs" "$summary"
  echo "[$(elapsed)s] $name: $status (${secs}s) $summary"
}

# ------------------------------------------------------------------ 1. build
BUILD=${GPU_CHECK_BUILD:-$ROOT/build/gpu-check}  # GPU_CHECK_BUILD: another build folder (e.g. to reuse one)
build() {
  set -e
  "$PY" -c "import pybind11, numpy, pytest" || { echo "missing pybind11 / numpy / pytest for $PY"; return 1; }
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTG_CUDA_ARCHITECTURES="$ARCH" \
    -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)"
  grep -q "tinygrad_ext: CUDA backend ON" "$WORK/build.log" || { echo "the CUDA backend was not configured (no nvcc?)"; return 1; }
  cmake --build "$BUILD" -j "$(nproc)"
  rm -rf "$BUILD/pkg" && mkdir -p "$BUILD/pkg"
  cp -r "$ROOT/python/tinygrad_ext" "$BUILD/pkg/"
  cp "$BUILD"/_C*.so "$BUILD/pkg/tinygrad_ext/"
}
export -f build
export ROOT BUILD ARCH PY WORK
RESERVE_S=300
run_step build 180 'grep -m1 "tinygrad_ext: CUDA [0-9]" "$1"; tail -1 "$1"' "" -- bash -c build
report_step build
if [ "$STEP_RC" -ne 0 ]; then
  log "build failed: nothing else to check"
  exit 1
fi
export PYTHONPATH=$BUILD/pkg PYTHONUNBUFFERED=1
"$PY" - <<'EOF' >> "$LOG" 2>&1
import os, tinygrad_ext as t
assert t.__file__.startswith(os.environ["PYTHONPATH"]), t.__file__
print("tinygrad_ext", t.__file__, "CUDA runtime", t.version.cuda, "available:", t.cuda.is_available(),
      "reason:", t.cuda.unavailable_reason())
EOF

# ------------------------------------------------------------------ 2. the CUDA test suite
PYTEST_SUMMARY='grep -E "[0-9]+ (passed|failed|errors?|skipped|deselected).* in [0-9.]+s" "$1" | tail -1; grep -m1 "^TG_REQUIRE_CUDA=1: " "$1"; grep -E "^(FAILED|ERROR) " "$1" | head -3'
export COLUMNS=200  # pytest's short summary lines are cut to the terminal's width
RESERVE_S=200
run_step pytest 180 "$PYTEST_SUMMARY" "" -- env TG_REQUIRE_CUDA=1 "$PY" -m pytest tests -m cuda -q -p no:cacheprovider -rfE
report_step pytest

# ------------------------------------------------------------------ 3./4. sanitizers beside the classifier
# One test (or a few) per kernel family: elementwise (dense, strided, broadcast, casts), reductions and
# arg-reductions, GEMM (tile, thin, TF32), indexing (gather, index_put, masks), scan, random fill, conv
# (also float16 through the tensor cores and bfloat16 through the direct grouped kernels), pooling, softmax,
# cross-entropy, batched GEMMs (bmm through the 16-bit tensor cores with per-element copies and through the
# split-K vector kernel, grouped conv2d through the FP32 tiles and the bfloat16 tensor cores).
SANITIZER_TESTS=(
  "tests/test_ops.py::test_op[cuda-add-float32]"
  "tests/test_ops.py::test_op[cuda-mul-int64]"
  "tests/test_ops.py::test_op[cuda-exp-float64]"
  "tests/test_ops.py::test_op[cuda-where-float32]"
  "tests/test_ops.py::test_op[cuda-copy_cast-float32]"
  "tests/test_ops.py::test_op[cuda-sum_dim-float32]"
  "tests/test_ops.py::test_op[cuda-max_dim-float64]"
  "tests/test_ops.py::test_op[cuda-argmax_dim-float32]"
  "tests/test_ops.py::test_op[cuda-var_dim_biased-float64]"
  "tests/test_ops.py::test_op[cuda-mm-float32]"
  "tests/test_ops.py::test_op[cuda-bmm-float64]"
  "tests/test_ops.py::test_op[cuda-gather-float32]"
  "tests/test_ops.py::test_op[cuda-setitem_index_tensor-float32]"
  "tests/test_ops.py::test_op[cuda-mask_get-float32]"
  "tests/test_ops.py::test_op[cuda-cumsum-float32]"
  "tests/test_nn.py::test_conv2d_forward_backward_vs_numpy[cuda-dtype0-case1]"
  "tests/test_nn.py::test_max_pool2d_vs_numpy[cuda-dtype0-case1]"
  "tests/test_nn.py::test_avg_pool2d_vs_numpy[cuda-True-case1]"
  "tests/test_nn.py::test_softmax_log_softmax_vs_numpy[cuda-1-dtype0]"
  "tests/test_nn.py::test_cross_entropy_vs_numpy[cuda-0.2-True-mean]"
  "tests/test_cuda_extra.py::test_addmm_accumulates_and_bmm[tf32]"
  "tests/test_cuda_extra.py::test_cumsum_gradient"
  "tests/test_cuda_extra.py::test_cuda_random_stream_follows_the_seeds"
  "tests/test_cuda_runtime.py::test_numbers_with_cuda_tensors_make_no_copy"
  "tests/test_cuda_runtime.py::test_streams_and_events"
  "tests/test_cuda_runtime.py::test_pinned_memory_and_non_blocking_copies"
  "tests/test_cuda_runtime.py::test_vector_gemm_paths_match_the_cpu[1-700-513-row]"
  "tests/test_cuda_runtime.py::test_tiled_cumsum_of_few_long_rows_matches_the_cpu[shape3--1-dtype0]"
  "tests/test_cuda_runtime.py::test_softmax_of_few_long_rows_matches_the_cpu[dtype0-shape1--1-True]"
  "tests/test_cuda_runtime.py::test_record_stream_defers_reuse"
  "tests/test_cuda_runtime.py::test_grouped_conv2d_matches_the_cpu[dtype0-12-3-6-3-2-2-2-False]"
  "tests/test_cuda_conv16.py::test_conv2d_16bit_forward_and_gradients[case1-float16]"
  "tests/test_cuda_conv16.py::test_conv2d_16bit_forward_and_gradients[case5-bfloat16]"
  "tests/test_cuda_batched_gemm.py::test_bmm_matches_float64_and_mm[cuda-bmm2-torch.float16]"
  "tests/test_cuda_batched_gemm.py::test_bmm_matches_float64_and_mm[cuda-bmm5-torch.float32]"
  "tests/test_cuda_batched_gemm.py::test_conv2d_batched_gemms_forward_and_backward[cuda-conv0-torch.float32]"
  "tests/test_cuda_batched_gemm.py::test_conv2d_batched_gemms_forward_and_backward[cuda-conv5-torch.bfloat16]"
)
SANITIZER_SUMMARY='grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$1" | tail -1; grep -E "[0-9]+ (passed|failed|errors?|skipped|deselected).* in [0-9.]+s" "$1" | tail -1; grep -E "Device not supported|Target application returned an error" "$1" | head -2'
printf '%s\n' "${SANITIZER_TESTS[@]}" > "$WORK/sanitizer_tests.txt"
sanitize() {  # tool
  local tool=$1 tests
  command -v compute-sanitizer > /dev/null 2>&1 || { echo "compute-sanitizer not found"; return 1; }
  mapfile -t tests < "$WORK/sanitizer_tests.txt"
  # --error-exitcode: any finding fails the step; errors from the runtime API (none expected) count too.
  TG_CUDA_NO_CACHE=1 TG_REQUIRE_CUDA=1 compute-sanitizer --tool "$tool" --error-exitcode 99 --print-limit 50 \
    "$PY" -m pytest "${tests[@]}" -m cuda -q -p no:cacheprovider -x
}
export -f sanitize
RESERVE_S=90
( run_step memcheck 170 "$SANITIZER_SUMMARY" "" -- bash -c 'sanitize memcheck' ) &
P1=$!
( run_step racecheck 170 "$SANITIZER_SUMMARY" "" -- bash -c 'sanitize racecheck' ) &
P2=$!
( run_step cifar10 170 'grep -E "^Accuracy of the network|^accuracy " "$1"; grep -E "Error" "$1" | tail -1' "" -- \
    "$PY" examples/cifar10_tutorial.py --device cuda --no-progress --out "$WORK/cifar_out" ) &
P3=$!
( run_step cifar10_amp 170 'grep -E "^Accuracy of the network|^accuracy " "$1"; grep -E "Error" "$1" | tail -1' "" -- \
    "$PY" examples/cifar10_tutorial.py --device cuda --no-progress --amp --out "$WORK/cifar_amp_out" ) &
P4=$!
wait $P1 $P2 $P3 $P4
report_step memcheck
report_step racecheck
report_step cifar10
report_step cifar10_amp
# "the blitz classifier trains under autocast to the same accuracy": within 2 points of the float32 run's.
ACC=$(sed -n 's/^accuracy \([0-9.]*\) .*/\1/p' "$WORK/cifar10.log" | tail -1)
ACC_AMP=$(sed -n 's/^accuracy \([0-9.]*\) .*/\1/p' "$WORK/cifar10_amp.log" | tail -1)
if [ -n "$ACC" ] && [ -n "$ACC_AMP" ]; then
  if awk -v a="$ACC" -v b="$ACC_AMP" 'BEGIN { exit !(b >= a - 0.02) }'; then st=PASS; else st=FAIL; fi
  row amp_accuracy "$st" 0 "float32 $ACC, autocast float16 $ACC_AMP (must be >= float32 - 0.02)"
  log "amp_accuracy: $st (float32 $ACC, autocast $ACC_AMP)"
else
  row amp_accuracy FAIL 0 "no accuracy line from the cifar10 runs (float32: '${ACC}', autocast: '${ACC_AMP}')"
fi

# ------------------------------------------------------------------ 5. the benchmark, alone on the GPU
RESERVE_S=0
run_step bench 120 'grep -E "FAILED|Error" "$1" | head -2; echo "targets met: $(grep -oE "\| yes \|" "$1" | wc -l), missed: $(grep -oE "\| NO \|" "$1" | wc -l)"' \
  "nothing measured|FAILED" -- \
  "$PY" benchmarks/bench_cuda.py
report_step bench

log ""
log "total $(elapsed)s; results:"
cat "$RESULTS" | tee -a "$LOG"
exit $FAILED
