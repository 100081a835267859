# The two set-up commands are `make run` and `make test` (README.md). Everything else here is
# what they are made of.
BUILD      ?= build/release
ASAN_BUILD ?= build/asan
FUZZ_BUILD ?= build/fuzz
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
LISTEN     ?= 127.0.0.1:8080

.PHONY: all deps web build build-asan run test test-asan bench fuzz format clean

all: build

deps:
	@scripts/install-deps.sh

web: deps
	@cd web && npm run --silent build

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps web $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DAGORA_SANITIZE=ON -DAGORA_BUILD_APP=OFF

# Unit tests only, under AddressSanitizer and UndefinedBehaviorSanitizer (g++).
build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD)/src/app/agora $(LISTEN)

test: build build-asan
	@scripts/test.sh $(BUILD) $(ASAN_BUILD)

bench: build
	@bench/run.sh $(BUILD)/src/app/agora

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_BUILD)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build web/dist
