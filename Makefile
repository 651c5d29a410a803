# EmbedViz — every target installs what it needs (Debian packages, Python/NumPy, the MNIST data).
#   make demo    the whole study on MNIST (release build), with the detector table on the near-OOD set
#   make near-ood   Animal-Shape (PyPI animal-shape-mnist, SHA-256 pinned) in the MNIST layout, into NEAR_OOD_DIR
#   make test    the test suite (debug build), then the numerical suites again under other OpenBLAS
#                kernels (Prescott, Haswell, and SkylakeX on AVX-512 CPUs: scripts/test_kernels.sh)
#   make bench   kernel benchmarks (release), summarised with medians and ratios;
#                BENCH_ARGS='--filter ".*kNN.*"' runs a subset (the regex must match the whole name)
#   make fuzz    libFuzzer runs of every parser (FUZZ_SECONDS each, default 60; FUZZ_JOBS in parallel;
#                FUZZ_MERGE=1 adds new coverage to Fuzz/Corpus, which `make test` replays)
#   make api     rewrite API.txt, the public surface (make test fails when it is stale)
#   make docs    the man page and bash/zsh/fish completion scripts, into .build/share
#   make scaleout-demo   sharded PCA as Spark map/reduce tasks (PySpark local mode; installs Java + a venv)
#   make million   a 1M × 100 benchmark input, offline: deformed MNIST digits embedded by the trained CNN,
#                  and its PCA-50, under runs/million (never committed; ~1.5 GB; MILLION_COUNT to change)
#   make scaleout-tsne   t-SNE fitted on a 100k sample of that set, the other 900k placed by Spark tasks
#   make bench-compare   side by side with scikit-learn, openTSNE, PyTorch (creates a venv; slow)
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
DATA_DIR ?= data/mnist
DEMO_DIR ?= runs/demo
NEAR_OOD_DIR ?= data/near-ood
RELEASE_BIN := .build/release/embedviz
BENCH_RESULTS := Benchmarks/.build/results

.PHONY: all deps data near-ood build test api api-check bench bench-compare demo docs scaleout-demo million scaleout-tsne fuzz examples clean

all: build

deps:
	@PYTHON=$(PYTHON) scripts/deps.sh

data: deps
	@$(PYTHON) scripts/fetch_mnist.py $(DATA_DIR) data/cache

near-ood: deps
	@$(PYTHON) scripts/fetch_near_ood.py $(NEAR_OOD_DIR) data/cache

build: deps
	$(SWIFT) build -c release --product embedviz

test: deps data
	$(PYTHON) -m unittest -q scripts/test_fetch_mnist.py Benchmarks/test_summarize.py
	$(SWIFT) test
	SWIFT=$(SWIFT) scripts/test_kernels.sh
	scripts/test_clones.sh
	@$(MAKE) --no-print-directory api-check
	cd Examples && $(SWIFT) build

# The public surface (API.txt) from the compiler's symbol graphs: `make api` rewrites it, `make test` checks it.
SYMBOL_GRAPHS = $$($(SWIFT) package dump-symbol-graph --minimum-access-level public | sed -n 's/^Files written to //p')
api: deps
	@$(PYTHON) scripts/api_surface.py "$(SYMBOL_GRAPHS)" --write API.txt
api-check: deps
	@$(PYTHON) scripts/api_surface.py "$(SYMBOL_GRAPHS)" --check API.txt

bench: deps data
	@mkdir -p $(BENCH_RESULTS)
	cd Benchmarks && $(SWIFT) package --allow-writing-to-directory .build/results benchmark \
		--format jmh --path .build/results --quiet $(BENCH_ARGS)
	@$(PYTHON) Benchmarks/summarize.py $(BENCH_RESULTS)/Current_run.jmh.json

demo: build data near-ood
	$(RELEASE_BIN) demo --data $(DATA_DIR) --out $(DEMO_DIR) --near-ood $(NEAR_OOD_DIR) $(DEMO_ARGS)

# The man page (scripts/manpage.py renders the CLI's own --experimental-dump-help, Unicode intact) and shell completions.
docs: build
	@mkdir -p .build/share/man/man1 .build/share/completions
	$(RELEASE_BIN) --experimental-dump-help | $(PYTHON) scripts/manpage.py "$$($(RELEASE_BIN) --version)" > .build/share/man/man1/embedviz.1.tmp
	mv .build/share/man/man1/embedviz.1.tmp .build/share/man/man1/embedviz.1
	for shell in bash zsh fish; do $(RELEASE_BIN) --generate-completion-script $$shell > .build/share/completions/embedviz.$$shell; done
	@echo "man: man -l .build/share/man/man1/embedviz.1   bash: source .build/share/completions/embedviz.bash"

# Sharded PCA run as the map and reduce tasks of Spark in local mode (not in CI; see scripts/scaleout/).
scaleout-demo: build data
	scripts/scaleout/run.sh --embedviz $(RELEASE_BIN) --data $(DATA_DIR)

# The million-row input (issue 16): MILLION_COUNT deformed training digits (`embedviz deform`: random affine +
# elastic, seeded per image), embedded by the demo's trained CNN (trained here when runs/demo has none), then
# PCA-50. Each step is a file target: an interrupted run resumes at the step that is missing.
MILLION_DIR ?= runs/million
MILLION_COUNT ?= 1000000
MILLION_SEED ?= 0
MILLION_CHECKPOINT ?= $(if $(wildcard $(DEMO_DIR)/train/best.ckpt),$(DEMO_DIR)/train/best.ckpt,$(MILLION_DIR)/train/best.ckpt)

million: $(MILLION_DIR)/pca50.npy
	@du -sh $(MILLION_DIR)

$(MILLION_DIR)/train/best.ckpt: | build data
	$(RELEASE_BIN) train --data $(DATA_DIR) --out $(MILLION_DIR)/train

$(MILLION_DIR)/deformed/train-images-idx3-ubyte: | build data
	$(RELEASE_BIN) deform --data $(DATA_DIR) --count $(MILLION_COUNT) --seed $(MILLION_SEED) \
		--out $(MILLION_DIR)/deformed --preview $(MILLION_DIR)/deformed-100.png

# embed copies the images it embedded; here they are the deformed set itself, so a link replaces the copy.
$(MILLION_DIR)/embed/embeddings.npy: $(MILLION_DIR)/deformed/train-images-idx3-ubyte $(MILLION_CHECKPOINT) | build
	$(RELEASE_BIN) embed --checkpoint $(MILLION_CHECKPOINT) --data $(MILLION_DIR)/deformed --split train --noise 0 \
		--out $(MILLION_DIR)/embed --json $(MILLION_DIR)/embed.json
	ln -sf ../deformed/train-images-idx3-ubyte $(MILLION_DIR)/embed/images-idx3-ubyte

$(MILLION_DIR)/pca50.npy: $(MILLION_DIR)/embed/embeddings.npy | build
	$(RELEASE_BIN) pca --input $< --components 50 --output $@ --model $(MILLION_DIR)/pca50.npz --json $@.json

# t-SNE of a 100k sample of the million set, the other rows placed with `tsne transform` as Spark tasks.
scaleout-tsne: million
	scripts/scaleout/run.sh spark_tsne.py --embedviz $(RELEASE_BIN) --input $(MILLION_DIR)/pca50.npy \
		--labels $(MILLION_DIR)/deformed/train-labels-idx1-ubyte --work runs/scaleout-tsne $(SCALEOUT_ARGS)

# Side by side with scikit-learn, openTSNE and PyTorch (not in CI: slow). Uses runs/demo's embeddings.
bench-compare: build data
	@[ -x Benchmarks/compare/.venv/bin/python ] || Benchmarks/compare/setup.sh
	Benchmarks/compare/.venv/bin/python Benchmarks/compare/compare.py $(COMPARE_ARGS)

examples: deps
	cd Examples && $(SWIFT) build

fuzz: deps data
	Fuzz/run.sh

clean:
	rm -rf .build Benchmarks/.build Fuzz/.build
