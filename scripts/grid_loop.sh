# The resumable variants x seeds loop shared by scripts/gpu_experiments.sh and scripts/cpu_experiments.sh
# (source it). The caller declares the associative array `variant` (name -> extra --set arguments) and a
# function `run_one NAME SEED DIR` that trains one run into DIR (log: DIR.log).
#
# grid_loop OUT BUDGET_S "SEEDS" "NAMES": every run folder is OUT/<name>_s<seed>; a finished run
# (results.json present) is skipped, and no new run starts after BUDGET_S seconds.
grid_loop() {
  local out=$1 budget=$2 seeds=$3 names=$4 start seed name dir
  start=$(date +%s)
  for seed in $seeds; do
    for name in $names; do
      [[ -v "variant[$name]" ]] || { echo "unknown variant $name; known: ${!variant[*]}"; exit 2; }
      dir="$out/${name}_s$seed"
      [[ -f "$dir/results.json" ]] && continue
      if (( $(date +%s) - start > budget )); then echo "budget of $budget s used: call again to continue"; return 0; fi
      echo "=== $name seed $seed ($(( $(date +%s) - start )) s) ==="
      run_one "$name" "$seed" "$dir" || echo "run $name seed $seed failed: see $dir.log"
      tail -n 3 "$dir.log"
    done
  done
}
