# CMake toolchain file: cross-build for 32-bit ARM hard-float Linux (Debian's armhf) with
# Debian's cross compiler and the armhf -dev packages (multiarch).
#
# One-time setup, as root:
#   dpkg --add-architecture armhf && apt-get update
#   apt-get install gcc-arm-linux-gnueabihf qemu-user-static libsodium-dev:armhf \
#     libcbor-dev:armhf libmnl-dev:armhf libcmocka-dev:armhf libjansson-dev:armhf
# Build the device side (librecall, recall-agent, its unit tests) and run the tests under qemu:
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=packaging/cross/armhf.cmake \
#     -DRECALL_PROGRAMS=agent -DRECALL_WERROR=ON
#   cmake --build build-armhf -j2 && ctest --test-dir build-armhf -L unit
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(RECALL_CROSS_TRIPLE arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${RECALL_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${RECALL_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${RECALL_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${RECALL_CROSS_TRIPLE}-strip CACHE FILEPATH "")

# 32-bit ABI of a device that outlives 2038: 64-bit off_t and time_t (glibc >= 2.34), as
# Debian's own armhf builds use from trixie on. libsodium, libcbor and libmnl pass neither.
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64")

# pkg-config sees only the armhf .pc files (the host's would give the host's libraries).
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${RECALL_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Libraries and headers: the cross compiler's own sysroot and the multiarch directories.
set(CMAKE_FIND_ROOT_PATH /usr/${RECALL_CROSS_TRIPLE})
set(CMAKE_LIBRARY_ARCHITECTURE ${RECALL_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# ctest runs the test programs under qemu-user. The loader and libc must come from one glibc
# build: the cross sysroot's ld.so with the multiarch libc6:armhf (a different Debian
# revision) crashes in the child of fork(), so both are taken from the sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm-static -L /usr/${RECALL_CROSS_TRIPLE}
  -E LD_LIBRARY_PATH=/usr/${RECALL_CROSS_TRIPLE}/lib:/usr/lib/${RECALL_CROSS_TRIPLE})
