#!/usr/bin/env bash
# Runs a shipped Linux runtime on the oldest glibc it supports (2.31, Debian 11 "bullseye").
#
#   packaging/glibc-floor-test.sh [--rid linux-x64|linux-arm64] [<folder>]
# <folder> (default artifacts/native/Release/native) holds libnativegrad.so and the libgomp.so.1
# shipped beside it, e.g. runtimes/<rid>/native/ of the unpacked package. Needs an x86-64 host,
# root (chroot) and debootstrap; linux-arm64 also needs qemu-aarch64 (qemu-user).
#
# A minimal Debian 11 root with its own C compiler is made once with debootstrap and kept in
# build/glibc-floor/bullseye-amd64 (the first time: about 2 minutes, 80 MB of downloads, 350 MB
# on disk; later runs take about a second). Inside it, packaging/glibc-floor/probe.c is compiled
# by Debian 11's GCC, so the probe itself needs nothing newer than 2.31, and run against a copy of
# <folder>: it dlopens the library like .NET does and checks matmul/conv2d/autograd results with
# 2 OpenMP threads, a C++ exception thrown and caught inside the library, and that the shipped
# libgomp.so.1 is used. It runs twice: with the AVX2 kernels (when the CPU has them) and with
# NATIVEGRAD_ISA=generic.
# linux-arm64: Debian 11's aarch64 cross compiler and C library (gcc-aarch64-linux-gnu, added to
# the same root once: about 40 s, 600 MB on disk) build the probe, which runs under qemu-aarch64
# on Debian 11's arm64 glibc 2.31.
#
# When the Debian mirror cannot be reached (and the root is not cached) the test is skipped with
# exit status 0 and a SKIPPED line; NG_FLOOR_REQUIRED=1 turns that into a failure.
# NG_FLOOR_MIRROR (default http://deb.debian.org/debian) and NG_FLOOR_ROOT override the defaults.
set -euo pipefail
root_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$root_dir"
rid=linux-x64
if [ "${1:-}" = --rid ]; then rid=$2; shift 2; fi
case "$rid" in linux-x64|linux-arm64) ;; *) echo "unknown RID $rid" >&2; exit 2 ;; esac
lib_dir=$(cd "${1:-artifacts/native/Release/native}" && pwd)
suite=bullseye
mirror=${NG_FLOOR_MIRROR:-http://deb.debian.org/debian}
floor_root=${NG_FLOOR_ROOT:-$root_dir/build/glibc-floor/$suite-amd64}
# The root's recipe: a change here makes the next run build a fresh root.
recipe="debootstrap --variant=minbase --include=gcc,libc6-dev $suite"
stamp="$floor_root/.nativegrad-floor-root"

[ "$(uname -m)" = x86_64 ] || { echo "glibc floor test: runs on x86-64 hosts only" >&2; exit 2; }
[ -f "$lib_dir/libnativegrad.so" ] || { echo "no libnativegrad.so in $lib_dir" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "glibc floor test: needs root (debootstrap, chroot)" >&2; exit 2; }
if [ "$rid" = linux-arm64 ]; then
  command -v qemu-aarch64 >/dev/null || { echo "missing qemu-aarch64: apt-get install -y qemu-user" >&2; exit 3; }
fi

mkdir -p "$(dirname "$floor_root")"
# One run at a time per root: a second one waits instead of racing the debootstrap.
exec 9>"$floor_root.lock"
flock 9

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$recipe" ]; then
  command -v debootstrap >/dev/null || { echo "missing debootstrap: apt-get install -y debootstrap" >&2; exit 3; }
  if ! wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/$suite/Release"; then
    echo "SKIPPED: glibc floor test: $mirror/dists/$suite/Release cannot be reached, so no Debian 11 root can be made" >&2
    [ "${NG_FLOOR_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
  fi
  echo "making the Debian 11 root in $floor_root ($recipe)"
  tmp="$floor_root.tmp"
  rm -rf "$tmp" "$floor_root"
  start=$SECONDS
  debootstrap --variant=minbase --include=gcc,libc6-dev "$suite" "$tmp" "$mirror" >"$tmp.log" 2>&1 \
    || { tail -n 20 "$tmp.log" >&2; echo "FAIL: debootstrap (log: $tmp.log)" >&2; exit 1; }
  chroot "$tmp" apt-get clean  # the downloaded .deb files: 80 MB nobody needs again
  echo "$recipe" >"$tmp/.nativegrad-floor-root"
  mv "$tmp" "$floor_root"
  rm -f "$tmp.log"
  echo "Debian 11 root ready in $((SECONDS - start)) s"
fi

in_root() { chroot "$floor_root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

if [ "$rid" = linux-arm64 ] && [ ! -f "$floor_root/.nativegrad-floor-arm64" ]; then
  echo "adding Debian 11's aarch64 cross compiler and C library to the root"
  if ! in_root DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/tmp/apt.log 2>&1 || { tail -n 20 /tmp/apt.log; exit 1; }; apt-get clean'; then
    echo "SKIPPED: glibc floor test ($rid): Debian 11's aarch64 cross packages cannot be installed (mirror unreachable?)" >&2
    [ "${NG_FLOOR_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
  fi
  touch "$floor_root/.nativegrad-floor-arm64"
fi

# A fresh copy of the runtime and the probe's sources in the root.
work=/opt/nativegrad-floor
rm -rf "${floor_root:?}$work"
mkdir -p "$floor_root$work/runtime" "$floor_root$work/include"
cp "$lib_dir/libnativegrad.so" "$floor_root$work/runtime/"
[ -f "$lib_dir/libgomp.so.1" ] && cp "$lib_dir/libgomp.so.1" "$floor_root$work/runtime/"
cp -r native/include/nativegrad "$floor_root$work/include/"
cp packaging/glibc-floor/probe.c "$floor_root$work/"

if [ "$rid" = linux-x64 ]; then
  echo "inside the root: $(in_root ldd --version | head -n1)"
  in_root gcc -std=gnu11 -O1 -Wall -Wextra -I "$work/include" -o "$work/probe" "$work/probe.c" -ldl -lm
  # The probe, the loader and the C library are all Debian 11's.
  run_probe() { in_root "$@" "$work/probe" "$work/runtime/libnativegrad.so"; }
else
  echo "C library for the probe: $(basename "$(readlink -f "$floor_root/usr/aarch64-linux-gnu/lib/libc.so.6")") (Debian 11, arm64)"
  in_root aarch64-linux-gnu-gcc -std=gnu11 -O1 -Wall -Wextra -I "$work/include" -o "$work/probe" "$work/probe.c" -ldl -lm
  # qemu-aarch64 -L makes Debian 11's arm64 loader and C library the probe's; the runtime is
  # opened by its host path, which does not exist under the -L prefix.
  run_probe() { env "$@" qemu-aarch64 -L "$floor_root/usr/aarch64-linux-gnu" "$floor_root$work/probe" "$floor_root$work/runtime/libnativegrad.so"; }
fi
status=0
for isa in default generic; do
  echo "---- probe ($rid), kernels: $isa"
  env_isa=(OMP_NUM_THREADS=2)
  [ "$isa" = generic ] && env_isa+=(NATIVEGRAD_ISA=generic)
  run_probe "${env_isa[@]}" || status=$?
  # No AVX2 kernels on arm64: one run is enough.
  [ "$rid" = linux-arm64 ] && break
done
rm -rf "${floor_root:?}$work"
if [ "$status" = 0 ]; then
  echo "OK [$rid]: the runtime in $lib_dir runs on glibc 2.31 (Debian 11)"
else
  echo "FAIL [$rid]: the runtime in $lib_dir does not run on glibc 2.31 (exit $status)" >&2
fi
exit "$status"
