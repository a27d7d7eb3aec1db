# Cross build for win-x64 with MinGW-w64 on Linux, posix thread model (std::thread, OpenMP).
#   apt-get install g++-mingw-w64-x86-64-posix      (optional, to run the tests: wine64)
#   cmake --preset win-x64-mingw
# nativegrad.dll links libstdc++, libgcc, libgomp and winpthreads statically (native/CMakeLists.txt);
# executables (the GoogleTest suite) are linked fully static so wine needs no MinGW DLLs.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(NG_CROSS_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${NG_CROSS_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${NG_CROSS_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${NG_CROSS_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${NG_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# ctest and gtest_discover_tests run the test binaries through wine when it is installed.
find_program(NG_WINE NAMES wine64 wine)
if(NG_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${NG_WINE})
endif()

# FindOpenMP would pick the import library libgomp.dll.a (a libgomp-1.dll dependency); the
# static archive keeps nativegrad.dll free of MinGW runtime DLLs. winpthreads, which libgomp
# needs, is added by native/CMakeLists.txt.
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libgomp.a
  OUTPUT_VARIABLE NG_MINGW_LIBGOMP OUTPUT_STRIP_TRAILING_WHITESPACE)
# FORCE when the cache holds the import library (a build directory first configured without this
# rule keeps FindOpenMP's libgomp.dll.a, and the DLL and the tests then need libgomp-1.dll, which
# wine and users do not have). Any other file chosen on purpose (-DOpenMP_gomp_LIBRARY=...) stays.
if(IS_ABSOLUTE "${NG_MINGW_LIBGOMP}" AND (NOT OpenMP_gomp_LIBRARY OR OpenMP_gomp_LIBRARY MATCHES "\\.dll\\.a$"))
  set(OpenMP_gomp_LIBRARY "${NG_MINGW_LIBGOMP}" CACHE FILEPATH "libgomp (static, MinGW-w64)" FORCE)
endif()
