# CMake toolchain file: bare-metal Cortex-M3 (no OS) with Debian's gcc-arm-none-eabi and
# picolibc-arm-none-eabi. Used by port/cortex-m/ (the firmware image and its libcbor); see
# docs/PORTING.md "The Cortex-M3 build".
#
# One-time setup, as root:
#   apt-get install gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm
# Then: port/cortex-m/build-deps.sh DIR (libsodium and libcbor for the target), and
#   cmake -S port/cortex-m -B build-m3/fw -DCMAKE_TOOLCHAIN_FILE=packaging/cross/cortex-m3.cmake \
#     -DRECALL_M3_DEPS=DIR/prefix
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(RECALL_CROSS_TRIPLE arm-none-eabi)
set(CMAKE_C_COMPILER ${RECALL_CROSS_TRIPLE}-gcc)
set(CMAKE_ASM_COMPILER ${RECALL_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${RECALL_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${RECALL_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_SIZE ${RECALL_CROSS_TRIPLE}-size CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${RECALL_CROSS_TRIPLE}-objcopy CACHE FILEPATH "")

# Thumb-2 only, no FPU; per-function sections so that --gc-sections keeps only what is called
# (libsodium and libcbor are built whole, the image links a fraction of them). picolibc's
# specs give its headers and libc (named once: the C flags are on the link line too); the image
# brings its own startup and linker script.
set(RECALL_M3_CPU_FLAGS "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
set(CMAKE_C_FLAGS_INIT
  "${RECALL_M3_CPU_FLAGS} --specs=picolibc.specs -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${RECALL_M3_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")

# There is nothing to run a test program on while configuring: try_compile builds archives.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH /usr/lib/picolibc/${RECALL_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
