# recall-gate's parsers of LAN input, URL policies and identity (docs/GATE.md, "Inventory
# sources and identity"): the static library gate_parse, linked by the daemon, the unit tests
# (test_gate_*) and the fuzz targets (fuzz_gate_*). Included by gate/CMakeLists.txt.
pkg_check_modules(GATE_XML REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(GATE_LDNS REQUIRED IMPORTED_TARGET ldns)
pkg_check_modules(GATE_JANSSON REQUIRED IMPORTED_TARGET jansson)
add_library(gate_parse STATIC
  ${CMAKE_CURRENT_LIST_DIR}/aliases.c
  ${CMAKE_CURRENT_LIST_DIR}/confine.c
  ${CMAKE_CURRENT_LIST_DIR}/identity.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_announce.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_common.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_dhcp.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_fetched.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_mdns.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_mud.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_odhcpd.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_ssdp.c
  ${CMAKE_CURRENT_LIST_DIR}/parse_upnp.c
  ${CMAKE_CURRENT_LIST_DIR}/url.c)
target_include_directories(gate_parse PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(gate_parse PUBLIC recall PkgConfig::GATE_XML PkgConfig::GATE_LDNS
  PkgConfig::GATE_JANSSON)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/data/vendors.map ${CMAKE_CURRENT_LIST_DIR}/data/oui.txt
  ${CMAKE_CURRENT_LIST_DIR}/data/dhcp-fingerprints.txt
  DESTINATION ${CMAKE_INSTALL_DATADIR}/recall/gate)
