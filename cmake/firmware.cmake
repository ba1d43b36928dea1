# RECALL_FIRMWARE (included by agent/CMakeLists.txt): check that the static archives the agent
# needs are there before the build starts, and report the agent's size after each link.

# The linker looks in RECALL_STATIC_LIBDIRS, in -L directories of CMAKE_EXE_LINKER_FLAGS, in
# the directories pkg-config names and in the compiler's own: so does this check.
set(dirs ${RECALL_STATIC_LIBDIRS})
string(REGEX MATCHALL "-L *[^ ]+" ldirs "${CMAKE_EXE_LINKER_FLAGS}")
foreach(d ${ldirs})
  string(REGEX REPLACE "^-L *" "" d "${d}")
  list(APPEND dirs ${d})
endforeach()
list(APPEND dirs ${SODIUM_STATIC_LIBRARY_DIRS} ${CBOR_STATIC_LIBRARY_DIRS}
  ${MNL_STATIC_LIBRARY_DIRS} ${CMAKE_C_IMPLICIT_LINK_DIRECTORIES})
list(REMOVE_DUPLICATES dirs)
set(missing "")
foreach(lib sodium cbor mnl)
  find_library(RECALL_LIB${lib}_ARCHIVE NAMES lib${lib}.a PATHS ${dirs} NO_DEFAULT_PATH)
  if(NOT RECALL_LIB${lib}_ARCHIVE)
    list(APPEND missing lib${lib}.a)
  endif()
endforeach()
if(missing)
  list(JOIN missing ", " missing)
  message(FATAL_ERROR "RECALL_FIRMWARE: the static recall-agent needs ${missing}, not found in "
    "${dirs}. Build them as archives (Debian ships only libsodium.a; bench/agent/footprint "
    "builds libcbor.a and libmnl.a from upstream sources) and name their directory with "
    "-DRECALL_STATIC_LIBDIRS=DIR.")
endif()

# After each link: the size of the binary as built and stripped, and its text, data and bss.
string(REGEX REPLACE "strip$" "size" size_tool "${CMAKE_STRIP}")
add_custom_command(TARGET recall-agent POST_BUILD
  COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:recall-agent> -DSTRIP=${CMAKE_STRIP}
    -DSIZE=${size_tool} -DOUT=${PROJECT_BINARY_DIR}/recall-agent.size
    -P ${PROJECT_SOURCE_DIR}/cmake/firmware_size.cmake
  VERBATIM)
