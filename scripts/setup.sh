#!/usr/bin/env bash
# Installs everything the assistant needs, from nothing, and does nothing when it is already done.
#
#   scripts/setup.sh run    Python environments only (embedded default: SQLite, no services)
#   scripts/setup.sh test   + Debian packages the tests use (PostgreSQL, Redis, nginx, Chromium)
#   scripts/setup.sh prod   + Debian packages of production mode (PostgreSQL, Redis, nginx)
#
# Two environments, because Rasa 3.6 needs Python 3.10 while the ML stack is pinned on 3.11:
#   .venv-rasa  Python 3.10: Rasa server + ONNX Runtime for our NLU model      (requirements/rasa-py310.lock)
#   .venv-ml    Python 3.11: torch (CPU), transformers, FAISS, SQLAlchemy 2,
#               rasa-sdk action server, web app, tests                         (requirements/ml-py311.lock)
# Each environment records the hash of its lock file; an unchanged lock means no pip call at all.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"
START=$(date +%s)
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\033[1m[setup %s] %s\033[0m\n' "$1" "$2"; }
quiet_pip() { grep -v -e "is ignored: it is neither a file nor a directory" -e "^Requirement already satisfied" -e "^Looking in" -e "^DEPRECATION" -e "pip 23.1 will enforce" || true; }

find_python() {  # find_python 3.10 -> path of a CPython 3.10 interpreter
  local version="$1" candidate
  for candidate in "$(command -v "python$version" 2>/dev/null || true)" \
                   "$(pyenv root 2>/dev/null)/versions/$version"*/bin/python \
                   "/usr/bin/python$version"; do
    if [ -x "$candidate" ] && "$candidate" -c "import sys; sys.exit(0 if sys.version.startswith('$version') else 1)" 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

ensure_venv() {  # ensure_venv DIR PYTHON_VERSION LOCKFILE
  local dir="$1" version="$2" lock="$3" stamp want python
  stamp="$dir/.lock-sha256"
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then
    echo "  $dir is up to date"
    return 0
  fi
  python=$(find_python "$version") || {
    echo "error: Python $version is needed for $dir; install it (e.g. 'pyenv install $version') and rerun." >&2; exit 2; }
  [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
  echo "  installing $(grep -c '==' "$lock") pinned packages into $dir (Python $version) ..."
  # --no-deps: the lock file is the complete, resolved set; pip must not resolve anything again.
  "$dir/bin/pip" install --no-deps --progress-bar on -r "$lock" 2>&1 | quiet_pip
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "error: pip failed for $dir" >&2; exit 1; }
  echo "$want" > "$stamp"
}

apt_install() {  # apt_install PKG... : installs the Debian packages that are missing
  local missing=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -eq 0 ]; then echo "  Debian packages present: $*"; return 0; fi
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "  installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

step 1/3 "Rasa environment (.venv-rasa)"
ensure_venv .venv-rasa 3.10 requirements/rasa-py310.lock
step 2/3 "ML and action-server environment (.venv-ml)"
ensure_venv .venv-ml 3.11 requirements/ml-py311.lock

step 3/3 "system packages for mode '$MODE'"
case "$MODE" in
  run) echo "  none needed (SQLite is embedded)";;
  test) apt_install postgresql redis-server nginx chromium chromium-driver fonts-dejavu-core fonts-noto-color-emoji;;
  prod) apt_install postgresql redis-server nginx;;
  *) echo "error: unknown mode '$MODE' (run|test|prod)" >&2; exit 2;;
esac
echo "setup done in $(( $(date +%s) - START ))s: .venv-rasa, .venv-ml ready (mode: $MODE)"
