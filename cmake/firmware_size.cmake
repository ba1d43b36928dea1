# cmake -DBIN=FILE -DSTRIP=TOOL -DSIZE=TOOL -DOUT=FILE -P firmware_size.cmake: prints (and
# writes to OUT) the firmware agent's size: file size as linked and stripped, and the
# text/data/bss of the stripped binary. Run after each link of the RECALL_FIRMWARE agent.
file(SIZE ${BIN} built)
set(stripped_file ${BIN}.stripped)
execute_process(COMMAND ${STRIP} -o ${stripped_file} ${BIN} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${STRIP} ${BIN} failed")
endif()
file(SIZE ${stripped_file} stripped)
set(sections "")
if(EXISTS ${SIZE})
  execute_process(COMMAND ${SIZE} ${stripped_file} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  # Berkeley format: a header line, then "text data bss dec hex filename".
  if(rc EQUAL 0 AND out MATCHES "\n[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)")
    set(sections " (text ${CMAKE_MATCH_1}, data ${CMAKE_MATCH_2}, bss ${CMAKE_MATCH_3})")
  endif()
endif()
set(line "recall-agent firmware build: ${stripped} bytes stripped${sections}, ${built} as linked")
message(STATUS "${line}")
file(WRITE ${OUT} "${stripped}\n")
