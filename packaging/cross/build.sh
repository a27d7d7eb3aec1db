#!/usr/bin/env bash
# Cross builds of the native core on a Linux x86-64 host, their emulated tests, and staging for
# the NuGet package.
#
#   packaging/cross/build.sh [--no-tests] [--jobs N] <rid>...      rid: linux-arm64 | win-x64
#
# For each RID: builds GoogleTest from /usr/src/googletest with the RID's toolchain (Debian ships
# it only for the host), configures the CMakePresets.json preset (build/pkg-<preset>), builds the
# library and the GoogleTest suite, runs the suite once in-process under the emulator
# (qemu-aarch64 / wine), checks the library's dependencies (packaging/check-native-deps.sh) and
# stages it in artifacts/pkg-runtimes/<rid>/native/, where dotnet pack picks it up.
# Needs: g++-aarch64-linux-gnu qemu-user libsimde-dev | g++-mingw-w64-x86-64-posix wine64;
# the toolchains are checked first and a missing one fails with the apt-get line to run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
run_tests=1
jobs=2
rids=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-tests) run_tests=0; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    linux-arm64|win-x64) rids+=("$1"); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ ${#rids[@]} -gt 0 ] || rids=(linux-arm64 win-x64)

need() { # $1 = command, $2 = Debian package
  command -v "$1" >/dev/null || { echo "missing $1: apt-get install -y $2" >&2; exit 3; }
}

for rid in "${rids[@]}"; do
  case "$rid" in
    linux-arm64)
      preset=linux-arm64; toolchain=cmake/toolchains/aarch64-linux-gnu.cmake
      need aarch64-linux-gnu-g++ g++-aarch64-linux-gnu
      [ -f /usr/include/simde/x86/avx2.h ] || { echo "missing SIMDe: apt-get install -y libsimde-dev" >&2; exit 3; }
      libs=(libnativegrad.so libgomp.so.1); tests_exe=nativegrad_tests
      if [ "$run_tests" = 1 ]; then need qemu-aarch64 qemu-user; fi
      emulate() { qemu-aarch64 -L /usr/aarch64-linux-gnu "$@"; } ;;
    win-x64)
      preset=win-x64-mingw; toolchain=cmake/toolchains/mingw-w64-x86_64.cmake
      need x86_64-w64-mingw32-g++-posix g++-mingw-w64-x86-64-posix
      libs=(nativegrad.dll); tests_exe=nativegrad_tests.exe
      if [ "$run_tests" = 1 ]; then need wine wine64; fi
      export WINEPREFIX="$root/build/pkg-wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
      emulate() { wine "$@"; } ;;
  esac
  build="build/pkg-$preset"
  gtest="build/pkg-gtest-$rid"
  printf '\n==== %s: GoogleTest for the target ====\n' "$rid"
  if [ ! -f "$gtest/install/lib/cmake/GTest/GTestConfig.cmake" ]; then
    cmake -S /usr/src/googletest -B "$gtest" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_TOOLCHAIN_FILE="$root/$toolchain" -DCMAKE_INSTALL_PREFIX="$root/$gtest/install" \
      -DBUILD_GMOCK=OFF -DINSTALL_GTEST=ON >/dev/null
    cmake --build "$gtest" -j "$jobs" >/dev/null
    cmake --install "$gtest" >/dev/null
  fi

  if [ "$rid" = win-x64 ] && [ "$run_tests" = 1 ] && [ ! -d "$WINEPREFIX" ]; then
    # The first wine start creates the prefix (tens of seconds); do it before the build runs
    # gtest_discover_tests, which has a 60 s timeout.
    wineboot -i >/dev/null 2>&1 || true
  fi

  printf '\n==== %s: configure and build (%s) ====\n' "$rid" "$build"
  cmake --preset "$preset" -DNG_BUILD_TESTS=$([ "$run_tests" = 1 ] && echo ON || echo OFF) \
    -DCMAKE_PREFIX_PATH="$root/$gtest/install" >/dev/null
  cmake --build "$build" -j "$jobs"

  if [ "$run_tests" = 1 ]; then
    printf '\n==== %s: GoogleTest suite under %s ====\n' "$rid" "$([ "$rid" = win-x64 ] && echo wine || echo qemu-aarch64)"
    # One process for the whole suite: an emulator start per test case would cost minutes.
    # Through a file: wine's console output can get lost on a pipe.
    log="$root/$build/tests-under-emulator.log"
    status=0
    (cd "$build/tests/native" && emulate "./$tests_exe" --gtest_brief=1) >"$log" 2>&1 || status=$?
    cat "$log"
    [ "$status" = 0 ] || { echo "FAIL [$rid]: the GoogleTest suite failed under emulation (exit $status)" >&2; exit 1; }
  fi

  printf '\n==== %s: dependencies and staging ====\n' "$rid"
  stage="artifacts/pkg-runtimes/$rid/native"
  rm -rf "$stage"
  mkdir -p "$stage"
  for f in "${libs[@]}"; do cp "$build/native/$f" "$stage/"; done
  packaging/check-native-deps.sh "$rid" "$stage"
done
