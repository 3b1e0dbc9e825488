# Runs one example program and compares its standard output with the expected file:
#   cmake -DPROG=path -DEXPECTED=file -DWORKDIR=dir -P check_output.cmake
# The program runs in WORKDIR (emptied first: the WASI example writes a file there).
# It must exit with status 0 and print exactly the expected text.
file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
execute_process(COMMAND "${PROG}" WORKING_DIRECTORY "${WORKDIR}"
  OUTPUT_VARIABLE actual ERROR_VARIABLE errors RESULT_VARIABLE status)
file(WRITE "${WORKDIR}/stdout.txt" "${actual}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROG} exited with ${status}\n--- stdout:\n${actual}--- stderr:\n${errors}")
endif()
file(READ "${EXPECTED}" expected)
if(NOT actual STREQUAL expected)
  execute_process(COMMAND diff -u "${EXPECTED}" "${WORKDIR}/stdout.txt")
  message(FATAL_ERROR "${PROG}: the output differs from ${EXPECTED}\n--- stderr:\n${errors}")
endif()
