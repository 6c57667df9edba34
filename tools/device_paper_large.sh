#!/usr/bin/env bash
# The paper's large model on a lent GPU in one prepared call (issue 21; chapter 4, Figure 4.8).
#
# What it does, in this order, each step's output saved under $OUT (the device tool brings $OUT back):
#   1. engine check: the fused CPU kernel against the PyTorch engine on $DEVICE at n = 10240, m = 8
#      (benchmarks/bench_large.py --check; must say PASS before the sweep below is trusted);
#   2. time per step at m = 8, 64, 256, 1024 on $DEVICE (the GPU timing the closing notes report);
#   3. `sweep run paper-large` on $DEVICE for the units the CPU workers reach last — the widest strong
#      models first (m = 1024, 512, 256, …), then the weak ones — until $LIMIT seconds have passed;
#   4. `sweep merge` of what finished into $OUT/paper-large-device.nc (small: no weight matrices, so it
#      comes back whole; unit files of wide models are 20-40 MB and would not).
# Back on the CPU machine: python -m superscale.sweep combine book/data/paper-large.nc \
#   PATH/paper-large-device.nc --to book/data/paper-large.nc
#
# Usage (device tool, repository root; .device/ holds the h5netcdf wheel the GPU image lacks):
#   pip download h5netcdf --no-deps -d .device          # once, here
#   run: bash tools/device_paper_large.sh     with carry [".device"], timeout_s 600
# Locally, to try the plumbing on the CPU:  DEVICE=cpu BENCH=0 LIMIT=30 OUT=runs/device-try PY=python bash tools/device_paper_large.sh
set -uo pipefail
DEVICE=${DEVICE:-cuda}
LIMIT=${LIMIT:-330}             # seconds for step 3
CHECK_STEPS=${CHECK_STEPS:-400}
OUT=${OUT:?set OUT to the folder whose files come back}
RUN=${RUN:-runs/plarge-device}
PY=${PY:-python3}
export PYTHONPATH="$PWD/lib$(for w in .device/*.whl; do [ -e "$w" ] && printf ':%s' "$PWD/$w"; done)${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT" "$RUN"
t0=$(date +%s)
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"; } >"$OUT/device.txt"
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" >>"$OUT/device.txt" 2>&1

# 1 and 2 (BENCH=0 skips them)
if [ "${BENCH:-1}" = 1 ]; then
$PY benchmarks/bench_large.py --device "$DEVICE" --no-timing --check --check-steps "$CHECK_STEPS" \
  >"$OUT/engine-check.txt" 2>&1
echo "engine check exit $?" >>"$OUT/engine-check.txt"
$PY benchmarks/bench_large.py --device "$DEVICE" --widths 8,64,256,1024 --rounds 3 --short 5 --long 25 \
  >"$OUT/timing.txt" 2>&1
fi

# 3: the run order's indices, widest strong models first, then the weak ones widest first
UNITS=$($PY - <<'EOF'
from superscale.grids import get_grid
units = get_grid("paper-large").units()
key = lambda k: (units[k][1][0].gamma > 0, -units[k][1][0].m)
print(",".join(str(k) for k in sorted(range(len(units)), key=key)))
EOF
)
echo "units in this order: $UNITS" >"$OUT/sweep.txt"
timeout -s INT "$LIMIT" $PY -m superscale.sweep run paper-large --device "$DEVICE" --out "$RUN" \
  --units "$UNITS" --checkpoint-every 60 --max-mem-gb 16 --quiet >>"$OUT/sweep.txt" 2>&1
echo "sweep exit $? after $(( $(date +%s) - t0 )) s in all" >>"$OUT/sweep.txt"
$PY -m superscale.sweep status paper-large --out "$RUN" >>"$OUT/sweep.txt" 2>&1

# 4
$PY -m superscale.sweep merge paper-large --out "$RUN" --to "$OUT/paper-large-device.nc" --allow-partial \
  --keep-untrained >>"$OUT/sweep.txt" 2>&1 || echo "nothing to merge" >>"$OUT/sweep.txt"
tail -n 30 "$OUT"/*.txt
