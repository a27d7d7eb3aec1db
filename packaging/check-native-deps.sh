#!/usr/bin/env bash
# Checks that a staged native runtime is self-contained and small enough to ship.
#
#   packaging/check-native-deps.sh <rid> <folder>      e.g. linux-x64 build/pkg-linux-x64/native
# Only the shipped files are looked at: libnativegrad.so (+ libgomp.so.1) or nativegrad.dll.
#
# linux-*: the library needs nothing but the C library family (libc, libm, libpthread, libdl,
#   ld-linux, and the libgomp.so.1 shipped in the same folder, found through RUNPATH=$ORIGIN); no
#   libstdc++/libgcc_s; no glibc symbol version newer than NG_MAX_GLIBC in any shipped ELF file;
#   no GLIBCXX/CXXABI/GCC_ versioned imports; every GOMP_/OMP_ symbol version the library imports
#   is defined by the shipped libgomp.so.1; on the build machine's own RID, ldd resolves
#   everything to the folder or the system's C library.
# win-*: the DLL imports only Windows system DLLs (no libstdc++-6, libgcc_s_seh-1, libgomp-1,
#   libwinpthread-1).
# Every RID: all files of the folder together at most NG_MAX_RUNTIME_BYTES (default 3 MB) gzip -9.
set -euo pipefail
rid=$1
dir=$2
# The glibc floor is 2.31 (Debian 11, Ubuntu 20.04, RHEL 9) on both Linux RIDs, whatever glibc
# the build machine has: native/CMakeLists.txt (ng_glibc_floor) binds the newer references of the
# static libstdc++/libgcc to versions 2.31 has, and ships Debian 11's libgomp.so.1 (needs 2.17,
# ng_ship_libgomp). packaging/glibc-floor-test.sh runs the linux-x64 runtime on glibc 2.31.
max_glibc=${NG_MAX_GLIBC:-2.31}
max_bytes=${NG_MAX_RUNTIME_BYTES:-3145728}
fail=0
bad() { echo "FAIL [$rid]: $*" >&2; fail=1; }

case "$rid" in
  linux-*)
    lib="$dir/libnativegrad.so"
    [ -f "$lib" ] || { bad "no $lib"; exit 1; }
    shipped=("$lib")
    [ -f "$dir/libgomp.so.1" ] && shipped+=("$dir/libgomp.so.1")
    for f in "${shipped[@]}"; do
      needed=$(objdump -p "$f" | awk '/NEEDED/ {print $2}')
      for n in $needed; do
        case "$n" in
          libc.so.6|libm.so.6|libdl.so.2|libpthread.so.0|librt.so.1|ld-linux-*.so.*) ;;
          libgomp.so.1) [ -f "$dir/libgomp.so.1" ] || bad "$(basename "$f") needs libgomp.so.1, which is not shipped beside it" ;;
          *) bad "$(basename "$f") depends on $n" ;;
        esac
      done
      newest=$(objdump -T "$f" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
      echo "$(basename "$f"): NEEDED $(echo $needed | tr '\n' ' '); newest glibc symbol version $newest"
      if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$max_glibc" | sort -V | tail -n1)" != "$max_glibc" ]; then
        bad "$(basename "$f") needs GLIBC_$newest > $max_glibc: $(objdump -T "$f" | awk -v m="$max_glibc" '/GLIBC_/ {v=$0; sub(/.*GLIBC_/, "", v); sub(/[) ].*/, "", v); print v, $NF}' | sort -V | awk -v m="$max_glibc" '{ split($1,a,"."); split(m,b,"."); if (a[1]>b[1] || (a[1]==b[1] && a[2]+0>b[2]+0)) printf "%s@%s ", $2, $1 }')"
      fi
      if objdump -T "$f" | grep -qE '\((GLIBCXX|CXXABI|GCC)_[0-9]'; then
        bad "$(basename "$f") imports C++ runtime symbols: $(objdump -T "$f" | grep -oE '(GLIBCXX|CXXABI|GCC)_[0-9.]+' | sort -u | tr '\n' ' ')"
      fi
    done
    # A libgomp that lacks one of these versions fails the load ("version GOMP_x not found").
    if [ -f "$dir/libgomp.so.1" ]; then
      defined=$(objdump -T "$dir/libgomp.so.1" | awk '!/\*UND\*/ && / (\()?(GOMP|OMP|GOACC)_[0-9]/ {v=$(NF-1); gsub(/[()]/, "", v); print $NF "@" v}')
      missing_omp=""
      for ref in $(objdump -T "$lib" | awk '/\*UND\*/ && /\((GOMP|OMP|GOACC)_[0-9]/ {v=$(NF-1); gsub(/[()]/, "", v); print $NF "@" v}'); do
        grep -qxF "$ref" <<<"$defined" || missing_omp+="$ref "
      done
      [ -z "$missing_omp" ] || bad "the shipped libgomp.so.1 does not define $missing_omp"
    fi
    objdump -p "$lib" | grep -q 'R\(UN\)\?PATH.*\$ORIGIN' || bad "libnativegrad.so has no RUNPATH \$ORIGIN"
    host_rid="linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')"
    if [ "$rid" = "$host_rid" ]; then
      ldd "$lib"
      ldd "$lib" | grep -q 'not found' && bad "unresolved dependencies"
      ldd "$lib" | awk '/=>/ {print $1, $3}' | while read -r name path; do
        case "$name" in
          libgomp.so.1) [ "$(readlink -f "$path")" = "$(readlink -f "$dir/libgomp.so.1")" ] || echo "FAIL [$rid]: libgomp.so.1 resolves to $path, not the shipped copy" >&2 ;;
        esac
      done
    fi
    ;;
  win-*)
    lib="$dir/nativegrad.dll"
    [ -f "$lib" ] || { bad "no $lib"; exit 1; }
    shipped=("$lib")
    dlls=$(objdump -p "$lib" | awk '/DLL Name:/ {print $3}')
    echo "nativegrad.dll imports: $(echo $dlls | tr '\n' ' ')"
    for d in $dlls; do
      case "$(echo "$d" | tr 'A-Z' 'a-z')" in
        kernel32.dll|msvcrt.dll|user32.dll|advapi32.dll|ntdll.dll|ucrtbase.dll|api-ms-win-*) ;;
        *) bad "nativegrad.dll depends on $d" ;;
      esac
    done
    exports=$(objdump -p "$lib" | awk '/\[Ordinal\/Name Pointer\] Table/ {t=1; next} t && NF==0 {t=0} t {print $NF}')
    non_ng=$(echo "$exports" | grep -v '^ng_' | grep -v '^$' || true)
    [ -z "$non_ng" ] || bad "nativegrad.dll exports more than the C ABI: $(echo $non_ng | head -c 300)"
    ;;
  *) bad "unknown RID $rid"; exit 1 ;;
esac

bytes=0
for f in "${shipped[@]}"; do bytes=$((bytes + $(gzip -9 -c "$f" | wc -c))); done
echo "$rid: $(for f in "${shipped[@]}"; do basename "$f"; done | tr '\n' ' ')— $(du -cbL "${shipped[@]}" | tail -n1 | cut -f1) bytes, $bytes bytes gzip -9"
[ "$bytes" -le "$max_bytes" ] || bad "runtime is $bytes bytes compressed, more than $max_bytes"
[ "$fail" = 0 ] && echo "OK [$rid]: self-contained"
exit "$fail"
