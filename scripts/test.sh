#!/usr/bin/env bash
# The whole test suite, from nothing: install, lint, validate and train the bot, then
#   1. pytest in the ML environment (retrieval, NLU model, actions through a real action server,
#      end-to-end through a real Rasa server, PostgreSQL-backed store tests, browser tests, fault and
#      fuzz tests against production mode), then the store-backed tests again on PostgreSQL
#   2. pytest in the Rasa environment (our NLU component inside Rasa)
#   3. rasa test: conversation stories (--fail-on-prediction-errors) and the held-out NLU set
# Every stage prints its own result; the last line sums them up.
set -uo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$PWD" \
       SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
START=$(date +%s)
FAILED=()
stage() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }
run_stage() {  # run_stage NAME COMMAND...
  local name="$1"; shift
  stage "$name"
  "$@" || FAILED+=("$name")
}

stage "setup"
scripts/setup.sh test || { echo "setup failed"; exit 1; }

run_stage "lint (ruff)" .venv-ml/bin/python -m ruff check .
run_stage "training data counts documented" .venv-ml/bin/python scripts/nlu_data_report.py --check
run_stage "README results table matches benchmarks/results" .venv-ml/bin/python scripts/results_table.py --check
run_stage "rasa data validate" .venv-rasa/bin/rasa data validate --config config.yml --domain bot/domain --data training_data
stage "train"
scripts/train.sh models || { echo "training failed"; exit 1; }
MODEL=$(ls -t models/*.tar.gz | head -n 1)
export SHOP_TEST_MODEL="$PWD/$MODEL"

run_stage "pytest (ML environment)" .venv-ml/bin/python -m pytest tests --ignore=tests/bot -p no:cacheprovider
# The store-backed integration tests again, on a real PostgreSQL server (production's database).
run_stage "pytest on PostgreSQL (actions, feedback, retrieval, review)" env SHOP_TEST_DATABASE=postgres \
  .venv-ml/bin/python -m pytest tests/actions tests/feedback tests/retrieval tests/review -p no:cacheprovider
run_stage "pytest (Rasa environment)" .venv-rasa/bin/python -m pytest tests/bot -p no:cacheprovider
RESULTS=var/test-results; mkdir -p "$RESULTS"
# through bot.serve, as the server runs: with the turn speedups (bot/turn_speedups.py) in place
run_stage "rasa test core (conversation stories)" .venv-rasa/bin/python -m bot.serve test core --model "$MODEL" \
  --stories tests/conversations --fail-on-prediction-errors --out "$RESULTS/core"
run_stage "rasa test nlu (held-out set)" .venv-rasa/bin/python scripts/check_nlu.py "$MODEL" "$RESULTS/nlu"

ELAPSED=$(( $(date +%s) - START ))
if [ ${#FAILED[@]} -eq 0 ]; then
  echo "all test stages passed in ${ELAPSED}s"
else
  echo "FAILED stages (${#FAILED[@]}): ${FAILED[*]} (after ${ELAPSED}s)"
  exit 1
fi
