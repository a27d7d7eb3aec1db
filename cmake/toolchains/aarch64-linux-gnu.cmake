# Cross build for linux-arm64 on an x86-64 Debian/Ubuntu host.
#   apt-get install g++-aarch64-linux-gnu libsimde-dev qemu-user
#   cmake --preset linux-arm64        (or: cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake ...)
# The AVX2 kernels compile to SIMDe stand-ins that are never called (see native/CMakeLists.txt).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(NG_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${NG_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${NG_CROSS_TRIPLE}-g++)
set(NG_CROSS_SYSROOT /usr/${NG_CROSS_TRIPLE})

set(CMAKE_FIND_ROOT_PATH ${NG_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages (GoogleTest built for the target) come from CMAKE_PREFIX_PATH outside the sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# ctest and gtest_discover_tests run the test binaries through user-mode QEMU when present.
find_program(NG_QEMU_AARCH64 qemu-aarch64)
if(NG_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${NG_QEMU_AARCH64} -L ${NG_CROSS_SYSROOT})
endif()
