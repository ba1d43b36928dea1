# recall-gate's owner page and JSON API (gate/web*.c, gate/auth.c): the static library gate_web,
# linked into recall-gate and, on its own with test doubles of the inventory, by
# tests/unit/test_gate_web.c and tests/fuzz/fuzz_gate_http.c.
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
add_library(gate_web STATIC
  ${CMAKE_CURRENT_LIST_DIR}/web.c ${CMAKE_CURRENT_LIST_DIR}/web_handle.c
  ${CMAKE_CURRENT_LIST_DIR}/web_html.c ${CMAKE_CURRENT_LIST_DIR}/web_util.c
  ${CMAKE_CURRENT_LIST_DIR}/web_api.c ${CMAKE_CURRENT_LIST_DIR}/auth.c
  ${CMAKE_CURRENT_LIST_DIR}/web_listen.c)
target_include_directories(gate_web PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# gate_parse (G1, parse.cmake, included before this file): gate_mac_parse.
target_link_libraries(gate_web PUBLIC gate_parse recall_common recall PkgConfig::MHD
  PkgConfig::JANSSON PkgConfig::SODIUM)
