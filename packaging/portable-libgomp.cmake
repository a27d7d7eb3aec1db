# The libgomp.so.1 shipped beside the Linux library (see native/CMakeLists.txt, NG_PORTABLE_LIBGOMP).
#
# The build machine's libgomp (GCC 12, Debian 12) needs glibc 2.34; Debian 11's (GCC 10, built
# against glibc 2.31) needs 2.17 and defines every GOMP_/OMP_ version up to 5.0, which covers what
# GCC 12 emits for the library's OpenMP code (packaging/check-native-deps.sh verifies each
# imported version against the shipped file). The package file is pinned by name and SHA-256, so
# every build ships the same bytes; it is downloaded once into a per-user cache.
#
#   include(packaging/portable-libgomp.cmake)
#   ng_portable_libgomp(<x86_64|aarch64> <out-var>)      <out-var>: path, or empty when unavailable
# or as a script (e.g. to prefetch for an offline build):
#   cmake -DNG_ARCH=x86_64 -P packaging/portable-libgomp.cmake
#
# NG_DOWNLOAD_CACHE (default $XDG_CACHE_HOME/nativegrad or ~/.cache/nativegrad) holds the
# downloads; putting the .deb there by hand makes an offline build ship it. Offline, the function
# gives up after one short timeout per mirror.

set(NG_LIBGOMP_DEB_VERSION 10.2.1-6)
set(NG_LIBGOMP_DEB_amd64 libgomp1_${NG_LIBGOMP_DEB_VERSION}_amd64.deb)
set(NG_LIBGOMP_SHA256_amd64 4530c95aefa48e33fd8cf4acbe5c4b559dbe7bdf4c56469986c83a203982cef1)
set(NG_LIBGOMP_DEB_arm64 libgomp1_${NG_LIBGOMP_DEB_VERSION}_arm64.deb)
set(NG_LIBGOMP_SHA256_arm64 813af2e0b8ba0a7cea18c988cd843412ef6d0415700fc860d62816750e741670)
# Debian 11 leaves deb.debian.org for archive.debian.org at its end of life; snapshot.debian.org
# keeps every file forever. All serve the same, hash-checked, bytes. -DNG_LIBGOMP_MIRRORS=<list>
# replaces them (e.g. a local mirror).
if(NOT NG_LIBGOMP_MIRRORS)
  set(NG_LIBGOMP_MIRRORS
    http://deb.debian.org/debian
    http://archive.debian.org/debian
    https://snapshot.debian.org/archive/debian/20240101T000000Z)
endif()

function(ng_portable_libgomp arch out_var)
  set(${out_var} "" PARENT_SCOPE)
  if(arch MATCHES "^(x86_64|AMD64|amd64)$")
    set(deb_arch amd64)
    set(multiarch x86_64-linux-gnu)
  elseif(arch MATCHES "^(aarch64|arm64)$")
    set(deb_arch arm64)
    set(multiarch aarch64-linux-gnu)
  else()
    message(STATUS "NativeGrad: no portable libgomp for ${arch}")
    return()
  endif()
  set(deb ${NG_LIBGOMP_DEB_${deb_arch}})
  set(sha256 ${NG_LIBGOMP_SHA256_${deb_arch}})

  set(cache "${NG_DOWNLOAD_CACHE}")
  if(NOT cache)
    if(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
      set(cache "$ENV{XDG_CACHE_HOME}/nativegrad")
    elseif(DEFINED ENV{HOME} AND NOT "$ENV{HOME}" STREQUAL "")
      set(cache "$ENV{HOME}/.cache/nativegrad")
    else()
      set(cache "${CMAKE_BINARY_DIR}/downloads")
    endif()
  endif()
  set(extracted "${cache}/libgomp1_${NG_LIBGOMP_DEB_VERSION}_${deb_arch}/libgomp.so.1")
  if(EXISTS "${extracted}")
    set(${out_var} "${extracted}" PARENT_SCOPE)
    return()
  endif()

  file(MAKE_DIRECTORY "${cache}")
  set(deb_path "${cache}/${deb}")
  if(EXISTS "${deb_path}")
    file(SHA256 "${deb_path}" have)
    if(NOT have STREQUAL sha256)
      message(WARNING "NativeGrad: ${deb_path} has SHA-256 ${have}, expected ${sha256}; downloading it again")
      file(REMOVE "${deb_path}")
    endif()
  endif()
  foreach(mirror IN LISTS NG_LIBGOMP_MIRRORS)
    if(EXISTS "${deb_path}")
      break()
    endif()
    set(url "${mirror}/pool/main/g/gcc-10/${deb}")
    message(STATUS "NativeGrad: downloading ${url}")
    # The hash is checked here, not with EXPECTED_HASH, which turns a failed download into a
    # configure error; offline must only mean falling back.
    file(DOWNLOAD "${url}" "${deb_path}.part" TIMEOUT 60 INACTIVITY_TIMEOUT 15 STATUS status)
    list(GET status 0 code)
    list(GET status 1 reason)
    if(code EQUAL 0)
      file(SHA256 "${deb_path}.part" have)
      if(have STREQUAL sha256)
        file(RENAME "${deb_path}.part" "${deb_path}")
      else()
        set(reason "SHA-256 ${have}, expected ${sha256}")
      endif()
    endif()
    if(NOT EXISTS "${deb_path}")
      message(STATUS "NativeGrad: ${url}: ${reason}")
      file(REMOVE "${deb_path}.part")
    endif()
  endforeach()
  if(NOT EXISTS "${deb_path}")
    return()
  endif()

  # A .deb is an ar archive holding data.tar.xz; CMake's libarchive reads both, so no dpkg is needed.
  set(work "${cache}/libgomp1_${NG_LIBGOMP_DEB_VERSION}_${deb_arch}.tmp")
  file(REMOVE_RECURSE "${work}")
  file(ARCHIVE_EXTRACT INPUT "${deb_path}" DESTINATION "${work}/deb")
  file(GLOB data_tar "${work}/deb/data.tar.*")
  file(ARCHIVE_EXTRACT INPUT "${data_tar}" DESTINATION "${work}/data")
  set(so "${work}/data/usr/lib/${multiarch}/libgomp.so.1.0.0")
  if(NOT EXISTS "${so}")
    message(WARNING "NativeGrad: ${deb} holds no usr/lib/${multiarch}/libgomp.so.1.0.0")
    return()
  endif()
  get_filename_component(dir "${extracted}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  # Renamed into place last: an interrupted run leaves no half-written libgomp.so.1 behind.
  file(COPY "${so}" DESTINATION "${work}/out")
  file(RENAME "${work}/out/libgomp.so.1.0.0" "${extracted}")
  file(REMOVE_RECURSE "${work}")
  set(${out_var} "${extracted}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT NG_ARCH)
    set(NG_ARCH x86_64)
  endif()
  ng_portable_libgomp(${NG_ARCH} path)
  if(NOT path)
    message(FATAL_ERROR "libgomp for ${NG_ARCH}: not available (offline?)")
  endif()
  message("${path}")
endif()
