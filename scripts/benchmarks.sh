#!/usr/bin/env bash
# Runs every benchmark (each writes benchmarks/results/<name>.json), then regenerates the README
# results table. Long: the NLU benchmark trains on ATIS/SNIPS and the retrieval one builds a 1M index.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$PWD" SQLALCHEMY_SILENCE_UBER_WARNING=1
START=$(date +%s)
.venv-ml/bin/python -m retrieval ingest
[ -n "$(ls models/*.tar.gz 2>/dev/null)" ] || scripts/train.sh models
for bench in nlu_benchmark nlu_serving retrieval_benchmark catalogs_benchmark hot_update_benchmark dialogue_benchmark turn_cost feedback_simulation learning_loop load_benchmark; do
  [ -f "benchmarks/$bench.py" ] || continue
  echo "== $bench =="
  .venv-ml/bin/python "benchmarks/$bench.py"
done
echo "== turn_cost (production mode) =="
.venv-ml/bin/python benchmarks/turn_cost.py --mode prod
.venv-ml/bin/python scripts/results_table.py
echo "benchmarks done in $(( $(date +%s) - START ))s; results in benchmarks/results/"
