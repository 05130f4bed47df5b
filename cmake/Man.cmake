# Man pages: docs/<name>.<section>.md is the one source of each page,
# read as markdown on the web; lowdown renders it as roff at build time
# into <build>/man/<name>.<section> (cmake/man_page.cmake says how).
# Without lowdown the pages are skipped with a warning: the daemon
# builds and runs without them, but `make install` and the package then
# lack them.
find_program(LOWDOWN_EXECUTABLE lowdown)
file(GLOB VPNTUND_MAN_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/docs/*.[158].md)
set(VPNTUND_MAN_PAGES "")
if(NOT LOWDOWN_EXECUTABLE)
  message(WARNING "lowdown not found: the man pages are not built "
                  "(apt-get install lowdown)")
  return()
endif()

foreach(md ${VPNTUND_MAN_SOURCES})
  get_filename_component(file ${md} NAME)
  string(REGEX REPLACE "[.]md$" "" page ${file})
  string(REGEX REPLACE "^.*[.]([0-9])$" "\\1" section ${page})
  set(out ${CMAKE_BINARY_DIR}/man/${page})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DLOWDOWN=${LOWDOWN_EXECUTABLE} -DMD=${md}
            -DOUT=${out} -DSECTION=${section}
            -DVERSION=${PROJECT_VERSION}
            -P ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake
    DEPENDS ${md} ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake
    COMMENT "Rendering man page ${page}" VERBATIM)
  list(APPEND VPNTUND_MAN_PAGES ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/man)
add_custom_target(man ALL DEPENDS ${VPNTUND_MAN_PAGES})
