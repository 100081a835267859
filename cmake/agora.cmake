# agora_module(NAME DEPS <targets...> [TEST_DEPS <targets...>] [PCH <headers...>])
#
# One static library per folder under src/ (DESIGN.md "Layout"): every .cpp in the folder except
# *_test.cpp, *_benchmark.cpp and *_fuzz.cpp. The folder's *_test.cpp files become one GoogleTest
# binary, NAME_test, whose tests are registered with CTest under the label "unit".
include(GoogleTest)

# Standard-library headers almost every file uses, precompiled once per module.
set(AGORA_STD_PCH <string> <string_view> <vector> <memory> <optional> <functional> <map>
                  <unordered_map> <chrono> <cstdint> <utility> <boost/system/result.hpp>)

set(AGORA_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

function(agora_module name)
  cmake_parse_arguments(M "" "" "DEPS;TEST_DEPS;PCH" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  set(tests ${sources})
  list(FILTER sources EXCLUDE REGEX "_(test|benchmark|fuzz)\\.cpp$")
  list(FILTER tests INCLUDE REGEX "_test\\.cpp$")

  if(NOT sources)
    message(WARNING "src/${name} has no .cpp files yet; skipping it")
    return()
  endif()
  add_library(agora_${name} STATIC ${sources})
  target_include_directories(agora_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(agora_${name} PUBLIC ${M_DEPS})
  target_compile_options(agora_${name} PRIVATE ${AGORA_WARNINGS})
  if(M_PCH)
    target_precompile_headers(agora_${name} PRIVATE ${M_PCH})
  else()
    target_precompile_headers(agora_${name} PRIVATE ${AGORA_STD_PCH})
  endif()

  if(tests)
    add_executable(${name}_test ${tests})
    target_link_libraries(${name}_test PRIVATE agora_${name} ${M_TEST_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
    target_compile_options(${name}_test PRIVATE ${AGORA_WARNINGS})
    target_compile_definitions(${name}_test PRIVATE AGORA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    # PRE_TEST: list the tests when CTest runs, not at build time (keeps builds fast).
    gtest_discover_tests(${name}_test DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS unit ENVIRONMENT "AGORA_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()

