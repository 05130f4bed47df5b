# `cmake --install` (GNUInstallDirs): the daemon in sbin, vpntunctl (and
# ipac, where it is built) in bin, the man pages (cmake/Man.cmake), the
# example configs as documentation, the systemd units and the sysusers.d
# file that makes the user vpntund. Nothing goes into /etc: a site.conf
# there holds real keys and belongs to the administrator; the package
# ships the examples only.
install(TARGETS vpntund RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS vpntunctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET ipac)
  install(TARGETS ipac RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The examples' key file is left out: a key everyone has is no key.
install(FILES ${CMAKE_SOURCE_DIR}/conf/examples/central.conf
              ${CMAKE_SOURCE_DIR}/conf/examples/remote.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The systemd units name the daemon's installed path, and Debian keeps
# units in /lib/systemd/system, not under the prefix /usr: both are
# known only at install time (cpack installs under /usr whatever the
# build's prefix), so cmake/install_units.cmake writes them then.
set(VPNTUND_SYSTEMD_UNITDIR "" CACHE STRING
    "Where the systemd units go (empty: /lib/systemd/system for the \
prefix /usr, else <prefix>/lib/systemd/system)")
install(CODE "
  set(VPNTUND_DIST_DIR \"${CMAKE_SOURCE_DIR}/dist\")
  set(VPNTUND_UNIT_BUILD_DIR \"${CMAKE_BINARY_DIR}/dist\")
  set(VPNTUND_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
  set(VPNTUND_SYSTEMD_UNITDIR \"${VPNTUND_SYSTEMD_UNITDIR}\")
  include(\"${CMAKE_SOURCE_DIR}/cmake/install_units.cmake\")")

# systemd-sysusers and systemd-tmpfiles read them (the package's postinst
# runs both): the user vpntund and its state directory.
install(FILES ${CMAKE_SOURCE_DIR}/dist/sysusers.d/vpntund.conf
        DESTINATION lib/sysusers.d)
install(FILES ${CMAKE_SOURCE_DIR}/dist/tmpfiles.d/vpntund.conf
        DESTINATION lib/tmpfiles.d)
