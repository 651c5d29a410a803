# EmbedViz — every target installs what it needs (Debian packages, Python/NumPy, the MNIST data).
#   make demo    the whole study on MNIST (release build)
#   make test    the test suite (debug build)
#   make bench   kernel benchmarks (release), summarised with medians and ratios
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
DATA_DIR ?= data/mnist
RELEASE_BIN := .build/release/embedviz
BENCH_RESULTS := Benchmarks/.build/results

.PHONY: all deps data build test bench demo clean

all: build

deps:
	@PYTHON=$(PYTHON) scripts/deps.sh

data: deps
	@$(PYTHON) scripts/fetch_mnist.py $(DATA_DIR) data/cache

build: deps
	$(SWIFT) build -c release --product embedviz

test: deps data
	$(SWIFT) test

bench: deps data
	@mkdir -p $(BENCH_RESULTS)
	cd Benchmarks && $(SWIFT) package --allow-writing-to-directory .build/results benchmark \
		--format jmh --path .build/results --quiet $(BENCH_ARGS)
	@$(PYTHON) Benchmarks/summarize.py $(BENCH_RESULTS)/Current_run.jmh.json

demo: build data
	$(RELEASE_BIN) info --data $(DATA_DIR) --verify --dataset

clean:
	rm -rf .build Benchmarks/.build
