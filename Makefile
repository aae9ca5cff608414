# verl-srpo tasks. `make help` lists them.
#
# Release: merge a verl FSDP checkpoint, validate it, attach its evaluation, render the model card,
# and print the exact plan of the Hub push (a dry run, offline or not). CONFIRM=1 pushes.
# release/README.md documents the pipeline, every variable, offline use, and how to undo a push.
#
#   make release CKPT=checkpoints/srpo/run1/global_step_500/actor REPO_ID=my-org/SRPO-Qwen-32B \
#       RUN_CONFIG=outputs/2025-05-01/12-00-00/.hydra/config.yaml \
#       EVAL="runs/aime24/results.json runs/lcb/results.json" [BASE_MODEL=Qwen/Qwen2.5-32B] [VERSION=v1.0] [CONFIRM=1]
#
# Everything that can refuse (REPO_ID, card inputs, EVAL files, token, network) refuses before the merge.
# Merging a 32B checkpoint with verl's merger loads every rank's fp32 shard: plan on ~2.5x the
# model's fp32 size in RAM (~300 GB) and ~130 GB of disk for OUT plus the resharding copy.
# Evaluate OUT itself (python -m eval ... --model $(OUT)): results are tied to its weights fingerprint,
# so OUT is never re-sharded in place (a different MAX_SHARD_SIZE is refused: use a new OUT).

PYTHON ?= python
CKPT ?=
REPO_ID ?=
EVAL ?=
RUN_CONFIG ?=
BASE_MODEL ?=
OUT ?= release_out/$(notdir $(REPO_ID))
VERSION ?=
LICENSE ?= apache-2.0
DATASETS ?=
MAX_SHARD_SIZE ?= 5GB
CONFIRM ?=
PRIVATE ?=
ALLOW_NO_EVAL ?=
FIXTURE ?= release_fixture

.PHONY: help quickstart test gpu-smoke release release-merge release-fixture

help:
	@echo "make quickstart                       (1-GPU debug recipe with vLLM; else a CPU rehearsal)"
	@echo "make test                             (the test suite)"
	@echo "make gpu-smoke [CPU_REHEARSAL=1] [PHASES=a,b]  (end to end on one GPU: benchmarks/e2e/README.md)"
	@echo "make release CKPT=... REPO_ID=... RUN_CONFIG=... EVAL=... [BASE_MODEL=...] [VERSION=...] [CONFIRM=1]"
	@echo "make release-merge CKPT=... OUT=...   (merge + validate only, e.g. to evaluate OUT first)"
	@echo "make release-fixture                  (tiny real checkpoint + evaluation, then a release dry run)"

quickstart:
	verl-srpo quickstart

test:
	$(PYTHON) -m pytest

gpu-smoke:
	bash benchmarks/e2e/gpu_smoke.sh $(if $(CPU_REHEARSAL),--cpu-rehearsal) $(if $(PHASES),--phases $(PHASES))

release:
	@test -n "$(REPO_ID)" || { echo "set REPO_ID=<user or org>/<name>"; exit 2; }
	@test -n "$(RUN_CONFIG)" || { echo "set RUN_CONFIG=<run dir>/.hydra/config.yaml (the run's composed config)"; exit 2; }
	SRPO_RELEASE_VIA_MAKE=1 $(PYTHON) -m release publish --repo-id "$(REPO_ID)" --out "$(OUT)" --run-config "$(RUN_CONFIG)" \
		$(if $(CKPT),--ckpt "$(CKPT)") $(if $(EVAL),--eval $(EVAL)) $(if $(VERSION),--version "$(VERSION)") \
		$(if $(BASE_MODEL),--base-model "$(BASE_MODEL)") \
		--license "$(LICENSE)" $(if $(DATASETS),--dataset $(DATASETS)) --max-shard-size "$(MAX_SHARD_SIZE)" \
		$(if $(ALLOW_NO_EVAL),--allow-no-eval) $(if $(PRIVATE),--private) $(if $(CONFIRM),--confirm)

release-merge:
	@test -n "$(CKPT)" || { echo "set CKPT=.../global_step_N/actor"; exit 2; }
	@test "$(OUT)" != "release_out/" || { echo "set OUT=<folder to write> (or REPO_ID, for release_out/<name>)"; exit 2; }
	SRPO_RELEASE_VIA_MAKE=1 $(PYTHON) -m release merge --ckpt "$(CKPT)" --out "$(OUT)" --max-shard-size "$(MAX_SHARD_SIZE)"

release-fixture:
	$(PYTHON) -m release fixture --out "$(FIXTURE)"
	$(MAKE) release CKPT="$(FIXTURE)/checkpoints/global_step_1/actor" OUT="$(FIXTURE)/release" \
		RUN_CONFIG="$(FIXTURE)/run/.hydra/config.yaml" EVAL="$(FIXTURE)/eval/aime24/results.json" \
		MAX_SHARD_SIZE=40KB REPO_ID=verl-srpo/SRPO-Qwen-fixture BASE_MODEL=none
