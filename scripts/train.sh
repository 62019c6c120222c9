#!/usr/bin/env bash
# Trains the assistant: our joint BERT NLU (fine-tuned through its Rasa component) and the dialogue
# policies. Rasa fingerprints every graph component, so an unchanged project retrains nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$PWD" \
       SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
OUT="${1:-models}"
START=$(date +%s)
.venv-rasa/bin/rasa train --config config.yml --domain bot/domain --data training_data --out "$OUT"
MODEL=$(ls -t "$OUT"/*.tar.gz | head -n 1)
echo "training done in $(( $(date +%s) - START ))s: $MODEL"
