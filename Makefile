# kubeglass: build, serve and test.
#
#   make serve   install what is missing, build a release, serve it at http://127.0.0.1:8080
#   make dist    the release site in dist/ (relative URLs: copy it to any folder of any server)
#   make test    install test dependencies if missing, then run every test:
#                native cargo test, wasm-bindgen-test in headless Chromium, Playwright e2e on dist/
#
# Every install step checks first and does nothing when the right version is already there.
# Tools come only from package registries: cargo (crates.io), npm, and Debian's apt.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# ---- pinned versions --------------------------------------------------------------------
TRUNK_VERSION := 0.21.14
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock, so read it from there.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; split($$0, v, "\""); print v[2]; exit }' Cargo.lock 2>/dev/null)
# wasm-opt comes from the npm package binaryen (pinned in package.json / package-lock.json).
WASM_OPT_VERSION := version_132
WASM_TARGET := wasm32-unknown-unknown

# ---- environment ------------------------------------------------------------------------
CARGO_HOME ?= $(HOME)/.cargo
export PATH := $(CURDIR)/node_modules/.bin:$(CARGO_HOME)/bin:$(PATH)
# Trunk: never download a tool, never ask crates.io for a newer Trunk.
export TRUNK_OFFLINE := true
export TRUNK_SKIP_VERSION_CHECK := true
# No interactive prompts anywhere (CI has no stdin).
export DEBIAN_FRONTEND := noninteractive
export NPM_CONFIG_FUND := false
export NPM_CONFIG_AUDIT := false
export NPM_CONFIG_UPDATE_NOTIFIER := false

CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SERVE_ADDRESS := 127.0.0.1
SERVE_PORT := 8080

.PHONY: help serve serve-dev dist test tools wasm-target trunk wasm-bindgen npm-deps fetch versions \
        test-deps chromium test-native test-wasm e2e test-e2e size bench fuzz clean

help:
	@echo "make serve      build a release and serve it at http://$(SERVE_ADDRESS):$(SERVE_PORT)"
	@echo "make serve-dev  the same without --release: quicker rebuilds while editing"
	@echo "make dist       build the release site into dist/"
	@echo "make test       run every test (native, wasm in headless Chromium, end-to-end)"
	@echo "                (or one suite: make test-native | test-wasm | e2e)"
	@echo "make size       gzip -9 size of each file in dist/"
	@echo "make bench      every benchmark (native, wasm and the site in Chromium), as key value lines"
	@echo "make fuzz       each cargo-fuzz target for FUZZ_SECONDS (600), one after another"

# ---- tools ------------------------------------------------------------------------------
tools: versions wasm-target trunk wasm-bindgen npm-deps

# Trunk.toml names the wasm-bindgen version too (Trunk needs it there); it must match Cargo.lock.
versions:
	@test -n "$(WASM_BINDGEN_VERSION)" || { echo "error: no wasm-bindgen entry in Cargo.lock" >&2; exit 1; }
	@grep -Eq '^wasm_bindgen = "$(subst .,\.,$(WASM_BINDGEN_VERSION))"' Trunk.toml || { \
	  echo "error: Trunk.toml [tools] wasm_bindgen must be \"$(WASM_BINDGEN_VERSION)\" (the version in Cargo.lock)" >&2; exit 1; }
	@grep -Eq '^wasm_opt = "$(WASM_OPT_VERSION)"' Trunk.toml || { \
	  echo "error: Trunk.toml [tools] wasm_opt must be \"$(WASM_OPT_VERSION)\"" >&2; exit 1; }

wasm-target:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)

trunk:
	@[ "$$(trunk --version 2>/dev/null)" = "trunk $(TRUNK_VERSION)" ] || \
	  cargo install --locked trunk@$(TRUNK_VERSION)

# Not --locked: wasm-bindgen-cli's own lockfile pins a dependency version the registry here
# does not serve. Installs wasm-bindgen and wasm-bindgen-test-runner.
wasm-bindgen: versions
	@[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] && \
	 [ "$$(wasm-bindgen-test-runner --version 2>/dev/null)" = "wasm-bindgen-test-runner $(WASM_BINDGEN_VERSION)" ] || \
	  cargo install --force wasm-bindgen-cli@$(WASM_BINDGEN_VERSION)

# npm ci only when node_modules is missing or older than the lockfile, or wasm-opt is wrong.
# --ignore-scripts: no install script may download anything (no browser downloads).
npm-deps:
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || \
	    ! wasm-opt --version 2>/dev/null | grep -q '($(WASM_OPT_VERSION))'; then \
	  npm ci --ignore-scripts --no-audit --no-fund; \
	fi
	@wasm-opt --version | grep -q '($(WASM_OPT_VERSION))' || { echo "error: wasm-opt is not $(WASM_OPT_VERSION)" >&2; exit 1; }

# Trunk runs cargo with --offline, so the crates must be in the local cache first.
fetch:
	@cargo fetch --quiet

# ---- build and serve --------------------------------------------------------------------
dist: tools fetch
	trunk build --release --offline

serve: tools fetch
	trunk serve --release --offline --address $(SERVE_ADDRESS) --port $(SERVE_PORT)

# Faster rebuilds while editing: no --release, so no wasm-opt (and the debug profile if index.html
# names its profile with data-cargo-profile-release); kept out of dist/.
serve-dev: tools fetch
	trunk serve --offline --dist target/dist-dev --address $(SERVE_ADDRESS) --port $(SERVE_PORT)

# ---- tests ------------------------------------------------------------------------------
chromium:
	@if [ ! -x $(CHROMIUM) ] || [ ! -x $(CHROMEDRIVER) ]; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; \
	fi

test-deps: chromium npm-deps

# --keep-going: one failing suite does not hide the others' results; make still exits non-zero.
test: tools test-deps fetch
	$(MAKE) --no-print-directory --keep-going test-native test-wasm e2e

# The release build, then the end-to-end test against it.
e2e: dist
	$(MAKE) --no-print-directory test-e2e

test-native:
	cargo test

# wasm-bindgen-test in headless Chromium; webdriver.json adds the browser flags.
test-wasm: wasm-target wasm-bindgen chromium
	CHROMEDRIVER=$(CHROMEDRIVER) \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	WASM_BINDGEN_TEST_TIMEOUT=$${WASM_BINDGEN_TEST_TIMEOUT:-120} \
	  cargo test --target $(WASM_TARGET) --test web

# Playwright (playwright-core + Debian's Chromium) against dist/, served from a nested path.
test-e2e: npm-deps chromium
	@test -f dist/index.html || { echo "error: no dist/index.html: run make dist first" >&2; exit 1; }
	node tests/e2e/run.mjs
	node tests/e2e/embed.mjs

# What a first visit downloads: each file of dist/ raw and after gzip -9 (make dist first).
size:
	@test -f dist/index.html || { echo "error: no dist/index.html: run make dist first" >&2; exit 1; }
	@cd dist && total=0 && raw=0 && for f in $$(find . -type f | sort); do \
	  r=$$(wc -c < "$$f"); z=$$(gzip -9c "$$f" | wc -c); raw=$$((raw + r)); total=$$((total + z)); \
	  printf '%10d %10d  %s\n' "$$r" "$$z" "$${f#./}"; done && \
	  printf '%10d %10d  total (bytes raw, bytes gzip -9)\n' "$$raw" "$$total"

# Every benchmark, then a summary of `key value` lines in BENCH_KEYS order. Figures never fail
# the run on a slow machine; something broken (no figure, a page that does not load) does.
# Natively: the model (benches/model.rs); in headless Chromium: the same scheduler benchmark
# compiled to wasm (benches/wasm_bench.rs), then the release site (tests/e2e/bench.mjs).
BENCH_KEYS := schedule_pods_per_s_native schedule_pods_per_s_wasm deploy_10k_to_running_ms_native \
              idle_minute_5k_pods_us_native memory_10k_pods_mb_native dist_gzip_kb first_render_ms \
              frame_ms_median_1k frame_ms_p95_1k frame_ms_median_5k frame_ms_p95_5k
BENCH_FIGURES := target/bench/figures.txt

bench: fetch wasm-target wasm-bindgen test-deps dist
	@mkdir -p $(dir $(BENCH_FIGURES)) && : > $(BENCH_FIGURES)
	cargo bench --locked --bench model | tee -a $(BENCH_FIGURES)
	CHROMEDRIVER=$(CHROMEDRIVER) \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	WASM_BINDGEN_TEST_TIMEOUT=$${WASM_BINDGEN_TEST_TIMEOUT:-1800} \
	  cargo test --locked --release --target $(WASM_TARGET) --test wasm_bench -- --nocapture \
	  | tee /dev/stderr | grep -oE 'schedule_pods_per_s_wasm [0-9.]+$$' >> $(BENCH_FIGURES)
	node tests/e2e/bench.mjs | tee -a $(BENCH_FIGURES)
	@echo; echo "summary:"; for key in $(BENCH_KEYS); do \
	  grep -m1 "^$$key [0-9.]*$$" $(BENCH_FIGURES) || { echo "error: no figure for $$key" >&2; exit 1; }; done

# cargo-fuzz on the nightly toolchain (fuzz/ is a workspace of its own; not part of make test).
# One target at a time, one process: new inputs go to fuzz/target/corpus/, crashes to
# fuzz/artifacts/; the seeds in fuzz/corpus/ are only read.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := manifest command script
fuzz:
	@cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz
	cd fuzz && for target in $(FUZZ_TARGETS); do \
	  mkdir -p target/corpus/$$target && \
	  cargo +nightly fuzz run $$target target/corpus/$$target corpus/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -jobs=1 -workers=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 || exit 1; \
	done

clean:
	rm -rf dist test-results
	cargo clean
