# G4 (genforce): the recall check on a device's behalf, enforcement with nftables and the
# owner's actions, as the static library gate_enforce (linked by recall-gate and its tests).
pkg_check_modules(NFTABLES REQUIRED IMPORTED_TARGET libnftables)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
add_library(gate_enforce STATIC
  ${CMAKE_CURRENT_LIST_DIR}/check.c ${CMAKE_CURRENT_LIST_DIR}/checkin.c
  ${CMAKE_CURRENT_LIST_DIR}/enforce.c ${CMAKE_CURRENT_LIST_DIR}/actions.c
  ${CMAKE_CURRENT_LIST_DIR}/nft.c)
target_include_directories(gate_enforce PUBLIC ${CMAKE_CURRENT_LIST_DIR}
  PRIVATE ${PROJECT_SOURCE_DIR}/lib)
pkg_check_modules(GATE_NFT_MNL REQUIRED IMPORTED_TARGET libmnl)
target_link_libraries(gate_enforce PUBLIC recall recall_common PkgConfig::GATE_NFT_MNL
  PkgConfig::JANSSON PkgConfig::SODIUM)
# The transactions run in recall-gate-nft (gate/nft_main.c), installed with the other helpers.
add_executable(recall-gate-nft ${CMAKE_CURRENT_LIST_DIR}/nft_main.c)
target_include_directories(recall-gate-nft PRIVATE ${CMAKE_CURRENT_LIST_DIR}
  ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(recall-gate-nft PRIVATE recall PkgConfig::NFTABLES)
install(TARGETS recall-gate-nft RUNTIME DESTINATION ${RECALL_GATE_HELPERDIR})

# Test driver of the namespace test tests/netns/gate_enforce.sh: the real gate_enforce and the
# real inventory store (G2's gate_core, defined after this file is included) on a line protocol.
if(RECALL_TESTS)
  add_executable(gate-enforce-drv ${PROJECT_SOURCE_DIR}/tests/helpers/gate/enforce_drv.c)
  target_link_libraries(gate-enforce-drv PRIVATE gate_enforce gate_core gate_enforce)
endif()
