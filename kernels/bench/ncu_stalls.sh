#!/usr/bin/env bash
# Diagnostic (CUDA machine, after a build in build-cuda): warp stall reasons, pipe use and shared-memory bank
# conflicts of the staged GEMV for the given cases. Usage: bench/ncu_stalls.sh OUTFILE FORMAT,M,K ...
set -uo pipefail
cd "$(dirname "$0")/.."
outfile=$1; shift
r=smsp__average_warps_issue_stalled
m="${r}_long_scoreboard_per_issue_active.ratio,${r}_short_scoreboard_per_issue_active.ratio,${r}_math_pipe_throttle_per_issue_active.ratio,${r}_mio_throttle_per_issue_active.ratio,${r}_lg_throttle_per_issue_active.ratio,${r}_wait_per_issue_active.ratio,${r}_not_selected_per_issue_active.ratio,${r}_selected_per_issue_active.ratio,${r}_barrier_per_issue_active.ratio,${r}_dispatch_stall_per_issue_active.ratio,${r}_no_instruction_per_issue_active.ratio,${r}_branch_resolving_per_issue_active.ratio,${r}_membar_per_issue_active.ratio,${r}_sleeping_per_issue_active.ratio,${r}_tex_throttle_per_issue_active.ratio"
m="$m,sm__inst_executed_pipe_alu.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_fma.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_fmaheavy.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_lsu.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_uniform.avg.pct_of_peak_sustained_active,sm__pipe_fma_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_alu_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_fmaheavy_cycles_active.avg.pct_of_peak_sustained_active"
m="$m,l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_ld.sum,l1tex__data_pipe_lsu_wavefronts_mem_shared_op_ld.sum,l1tex__t_sectors_pipe_lsu_mem_global_op_ld.sum,smsp__inst_executed.sum,sm__warps_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed"
for c in "$@"; do
  f=${c%%,*}; rest=${c#*,}; M=${rest%%,*}; K=${rest#*,}
  echo "== $f $M $K" >>"$outfile"
  timeout 120 ncu --clock-control none -k regex:gemv_staged -c 1 --metrics "$m" ./build-cuda/bench_gemv 1 $f $M $K 2>&1 \
    | grep -E "^\s+(smsp|sm__|l1tex|gpu__|dram)" >>"$outfile" || echo "NCU FAILED $c" >>"$outfile"
done
