#!/usr/bin/env bash
# Production mode on this machine: installs what is missing (PostgreSQL, Redis, nginx from Debian),
# reuses the newest trained model (trains one only when models/ has none), then starts
#   PostgreSQL (var/prod/pg) -> Redis -> catalog ingestion into PostgreSQL -> 2 action workers
#   -> 2 Rasa replicas (SQL tracker store, Redis lock store) -> 2 web apps -> nginx (one public port:
#   the web apps only; everything else on loopback)
# and stops all of it, in order, on Ctrl-C or SIGTERM. Settings: SHOP_PROD_* (shop/settings.py);
# secrets: var/prod/secrets.env.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$PWD" \
       SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
scripts/setup.sh prod
if ! ls models/*.tar.gz >/dev/null 2>&1; then
  echo "[prod] no trained model in models/: training one (scripts/train.sh)"
  scripts/train.sh models
fi
exec .venv-ml/bin/python -m shop.ops.prod "$@"
