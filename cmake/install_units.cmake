# Included by cmake_install.cmake (cmake/Install.cmake): writes the
# systemd units with the daemon's path under the prefix of this install.
if(IS_ABSOLUTE "${VPNTUND_SBINDIR}")
  set(sbindir "${VPNTUND_SBINDIR}")
else()
  set(sbindir "${CMAKE_INSTALL_PREFIX}/${VPNTUND_SBINDIR}")
endif()
if(VPNTUND_SYSTEMD_UNITDIR)
  set(unitdir "${VPNTUND_SYSTEMD_UNITDIR}")
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unitdir "/lib/systemd/system")
else()
  set(unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
if(NOT IS_ABSOLUTE "${unitdir}")
  set(unitdir "${CMAKE_INSTALL_PREFIX}/${unitdir}")
endif()

# Installs to different places (a test's, cpack's) may run at once:
# each writes its units in a directory of its own.
string(MD5 where "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(VPNTUND_SBINDIR "${sbindir}")
foreach(unit vpntund.service vpntund@.service)
  configure_file("${VPNTUND_DIST_DIR}/systemd/${unit}.in"
                 "${VPNTUND_UNIT_BUILD_DIR}/${where}/${unit}" @ONLY)
  file(INSTALL "${VPNTUND_UNIT_BUILD_DIR}/${where}/${unit}"
       DESTINATION "${unitdir}"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
