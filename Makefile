# Shopping assistant: `make run` to try it, `make test` to check it. `make help` lists everything.
SHELL := /bin/bash
ML := .venv-ml/bin/python
RASA := .venv-rasa/bin/rasa
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

# Your own catalog: `make run CATALOG=path/to/products.csv MAPPING=path/to/mapping.yml` (also prod, ingest,
# check-catalog); README "Your own catalog" says how to write the mapping.
ifdef CATALOG
ifndef MAPPING
$(error CATALOG needs a MAPPING too: make run CATALOG=$(CATALOG) MAPPING=path/to/mapping.yml (template: retrieval/mappings/TEMPLATE.yml))
endif
export SHOP_CATALOG_PATH := $(abspath $(CATALOG))
endif
ifdef MAPPING
export SHOP_CATALOG_MAPPING := $(abspath $(MAPPING))
endif

.PHONY: help install run prod test train retrain ingest check-catalog chat staff-account lint benchmarks clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install:  ## create/refresh both Python environments (idempotent)
	@scripts/setup.sh run

check-catalog: install  ## try a mapping on a sample of its catalog before ingesting: make check-catalog CATALOG=.. MAPPING=..
	@$(ML) -m retrieval check

ingest: install  ## load the catalog (demo, or CATALOG/MAPPING) into SQLite + the FAISS index (incremental)
	@$(ML) -m retrieval ingest

train: install  ## train the NLU model and the dialogue policies (skipped when nothing changed)
	@scripts/train.sh

retrain: install  ## export reviewed corrections, retrain, ship only if held-out scores hold and every test story passes
	@$(ML) -m review.gate

run: ingest train  ## install, ingest, train, start Rasa + action server + web app on SQLite
	@$(ML) -m shop.ops.stack

prod:  ## production mode here: PostgreSQL + Redis + 2 Rasa replicas + 2 action workers + 2 web apps behind nginx
	@scripts/prod.sh

chat:  ## terminal chat with a running assistant
	@$(ML) -m shop.ops.chat

staff-account: install  ## create a staff console account: make staff-account NAME=alice [ROLE=reviewer] (default agent)
	@$(ML) -m web.accounts create $(NAME) $(foreach role,$(ROLE),--role $(role))

test:  ## install what is missing and run every test suite
	@scripts/test.sh

lint:  ## ruff + mypy
	@$(ML) -m ruff check . && $(ML) -m mypy shop handoff actions retrieval nlu review web

benchmarks: install  ## run every benchmark and regenerate the README results table
	@scripts/benchmarks.sh

clean:  ## remove runtime state (databases, index, models); environments stay
	rm -rf var models .rasa
