#!/usr/bin/env bash
# Issue 23's GPU run, on a lent NVIDIA H200 (the device tool; nothing can be fetched there, so the llama.cpp bundle
# travels with the working tree: LLAMA_BUNDLE, carried). One step per call, each within a call's 10 minutes, the
# work folder kept between calls while the machine stays warm:
#   build     build.sh cuda (llama-server, llama-bench, llama-perplexity, test-backend-ops; sm_90) and the kernels'
#             make_ternary_gguf and bench_gemv (STREAM: the card's streaming bandwidth)
#   ops       test-backend-ops -o MUL_MAT on CUDA0 against the CPU: every TQ2_0 and TQ1_0 case must pass
#   kl        KL divergence of the 8B model against the same weights as F16 on the CPU backend: TQ2_0 on the GPU at
#             ubatch 512 (dequantize + cuBLAS) and 8 (the GEMV), F16 on the GPU, TQ2_0 on the CPU
#   8b | 70b  the test models of that size (make_ternary_gguf: TQ2_0, TQ1_0, and the same weights as Q4_0, Q8_0,
#             F16 where they fit), llama-perplexity --kl-divergence of TQ2_0 and TQ1_0 on the GPU against the CPU
#             backend's logits on the same text (8b), llama-bench -p 512 -n 128 of every variant, and TQ2_0 with the
#             backend declining it (GGML_CUDA_NO_TERNARY=1: mainline's CPU fallback); each model deleted after use
# Usage: kernels/llama.cpp/run_h200.sh build|ops|kl|8b|70b OUT   (OUT: results, e.g. $OUT of the device tool)
# Env: WORK (default /tmp/onebit-h200), LLAMA_BUNDLE (default shared/gitRelease.bundle), MODELS (default
# $WORK/models; 70b Q8_0 needs 75 GB: /dev/shm if the disk is smaller).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
step=${1:?usage: run_h200.sh build|ops|kl|8b|70b OUT}
out=$(mkdir -p "${2:?usage: run_h200.sh build|ops|kl|8b|70b OUT}" && cd "$2" && pwd)
work=${WORK:-/tmp/onebit-h200}
models=${MODELS:-$work/models}
bin=$work/bin
mkdir -p "$work" "$models"
export PATH=/usr/local/cuda/bin:$PATH
log() { echo "[$(date +%T)] $*" | tee -a "$out/run.log" >&2; }
# The same text for every model: made-up words of the models' vocabulary (their tokenizer splits it alike).
[ -f "$work/text.txt" ] || python3 -c "
import random; r = random.Random(7); w = 'abcdefghijklmnopqrstuvwxyz'
print(' '.join(''.join(r.choice(w) for _ in range(r.randint(1, 3))) for _ in range(40000)))" > "$work/text.txt"

case $step in
  build)
    LLAMA_BUNDLE=${LLAMA_BUNDLE:-$(cd "$here/../.." && pwd)/shared/gitRelease.bundle} bash "$here/build.sh" cuda "$work" \
      >/dev/null 2> >(tail -n 40 > "$out/build.log")
    cmake -S "$here/.." -B "$work/kernels" -DCMAKE_BUILD_TYPE=Release -DONEBIT_GPU=CUDA -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
    cmake --build "$work/kernels" --target make_ternary_gguf bench_gemv -j "$(nproc)" >/dev/null
    "$work/kernels/bench_gemv" 20 stream | awk '/^STREAM/ {print $2}' > "$work/stream-gbs"
    log "built; streaming bandwidth $(cat "$work/stream-gbs") GB/s"
    ;;
  ops)
    # The op test's own comparison (NMSE against the CPU backend) for every MUL_MAT case with a TQ weight (-p: the
    # rest is mainline's, and the whole suite would take minutes of the lease).
    "$bin/test-backend-ops" test -o MUL_MAT -b CUDA0 -p 'type_a=tq[12]_0' > "$out/test-backend-ops.txt" 2>&1 || true
    failed=$(grep -E 'MUL_MAT\(type_a=tq[12]_0' "$out/test-backend-ops.txt" | grep -c 'FAIL' || true)
    # Judged by its own summary, "N/M tests passed": a case's OK can land on a line after a CUDA graph log message.
    summary=$(grep -oE '[0-9]+/[0-9]+ tests passed' "$out/test-backend-ops.txt" | head -n 1 || true)
    log "test-backend-ops MUL_MAT with TQ2_0/TQ1_0 weights: ${summary:-no summary}, $failed failed"
    ran=${summary#*/}
    [ -n "$summary" ] && [ "$failed" -eq 0 ] && [ "${summary%%/*}" -gt 0 ] && [ "${summary%%/*}" = "${ran%% *}" ]
    ;;
  8b | 70b)
    size=$step
    stream=$(cat "$work/stream-gbs")
    text=$work/text.txt
    types="tq2_0 tq1_0 q4_0 q8_0 f16"
    # 70B: F16 (140 GB) does not fit the card, Q8_0 (75 GB) not the machine's disk; the KL test runs on the 8B model
    # (the same kernels; the CPU base of a 70B model would take most of a lease).
    [ "$size" = 70b ] && types="tq2_0 q4_0 tq1_0"
    results=$out/bench-$size.jsonl
    : > "$results"
    for type in $types; do
      model=$models/$size-$type.gguf
      "$work/kernels/make_ternary_gguf" --size "$size" --type "$type" --out "$model" | tee -a "$out/run.log"
      if [ "$size" = 8b ] && { [ "$type" = tq2_0 ] || [ "$type" = tq1_0 ]; }; then
        # KL divergence: the CPU backend's logits (-ngl 0, the backend declining) are the base.
        GGML_CUDA_NO_TERNARY=1 "$bin/llama-perplexity" -m "$model" -f "$text" -c 256 --chunks 8 -ngl 0 \
          --kl-divergence-base "$work/base-$size-$type.bin" > "$out/kl-base-$size-$type.txt" 2>&1
        "$bin/llama-perplexity" -m "$model" -f "$text" -c 256 --chunks 8 -ngl 99 --kl-divergence-base \
          "$work/base-$size-$type.bin" --kl-divergence > "$out/kl-$size-$type.txt" 2>&1
        log "$size $type KL: $(grep -E 'Mean +KLD|Same top p' "$out/kl-$size-$type.txt" | tr -s ' ' | tr '\n' ' ')"
        rm -f "$work/base-$size-$type.bin"
      fi
      "$bin/llama-bench" -m "$model" -p 512 -n 128 -ngl 99 -r 3 -o jsonl | sed "s/^/{\"variant\":\"$type\",\"gpu\":true,\"row\":/; s/\$/}/" >> "$results"
      if [ "$type" = tq2_0 ] && [ "$size" = 8b ]; then  # on the 70B model the CPU run would take minutes of the lease
        GGML_CUDA_NO_TERNARY=1 "$bin/llama-bench" -m "$model" -p 512 -n 128 -ngl 99 -r 1 -o jsonl \
          | sed "s/^/{\"variant\":\"tq2_0 mainline (CPU fallback)\",\"gpu\":false,\"row\":/; s/\$/}/" >> "$results"
      fi
      rm -f "$model"
    done
    python3 "$here/bench_table.py" "$results" "$stream" "$size" | tee "$out/bench-$size.md"
    ;;
  kl)
    # The same 8B weights as F16 on the CPU backend (no CUDA device at all) are the base: ternary values times a
    # per-tensor scale are exact in F16, and the CPU's F16 product keeps activations in F16 where its TQ2_0 product
    # rounds them to 8 bits. Against it: TQ2_0 on the GPU at ubatch 512 (dequantize + cuBLAS) and 8 (our GEMV), F16
    # on the GPU (mainline's yardstick) and TQ2_0 on the CPU (the CPU's own rounding).
    ppl() { "$bin/llama-perplexity" -m "$models/kl-$1.gguf" -f "$work/text.txt" -c 256 --chunks 8 \
      --kl-divergence-base "$work/kl-base.bin" "${@:2}"; }
    kld() { log "8b $1 vs the CPU's F16: $(grep -E 'Mean +KLD|Same top p' "$2" | tr -s ' ' | tr '\n' ' ')"; }
    for type in f16 tq2_0; do
      "$work/kernels/make_ternary_gguf" --size 8b --type "$type" --out "$models/kl-$type.gguf" >/dev/null
    done
    CUDA_VISIBLE_DEVICES= ppl f16 -ngl 0 > "$out/kl-base-cpu-f16.txt" 2>&1
    for ub in 512 8; do
      ppl tq2_0 -ngl 99 -ub "$ub" --kl-divergence > "$out/kl-gpu-tq2_0-ub$ub.txt" 2>&1
      kld "tq2_0 GPU ubatch $ub" "$out/kl-gpu-tq2_0-ub$ub.txt"
    done
    ppl f16 -ngl 99 --kl-divergence > "$out/kl-gpu-f16.txt" 2>&1
    kld "f16 GPU (mainline)" "$out/kl-gpu-f16.txt"
    CUDA_VISIBLE_DEVICES= ppl tq2_0 -ngl 0 --kl-divergence > "$out/kl-cpu-tq2_0.txt" 2>&1
    kld "tq2_0 CPU" "$out/kl-cpu-tq2_0.txt"
    rm -f "$models"/kl-*.gguf "$work/kl-base.bin"
    ;;
  *)
    echo "run_h200.sh: step '$step' is not build, ops, kl, 8b or 70b" >&2
    exit 2
    ;;
esac
