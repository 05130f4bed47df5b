# `cpack -G DEB` in the build directory: vpntund_<version>_<arch>.deb,
# everything `cmake --install` puts under the prefix /usr and the units
# in /lib/systemd/system (cmake/Install.cmake), with the libraries'
# packages found by dpkg-shlibdeps and maintainer scripts from
# dist/debian/ that make the user vpntund.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vpntund)
set(CPACK_PACKAGE_VENDOR vpntund)
set(CPACK_PACKAGE_CONTACT "vpntund maintainers <maintainers@vpntund.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "user-space IPsec (ESP) tunnel daemon")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description, below the summary.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "vpntund joins the networks of remote sites to a central site with ESP
tunnels (RFC 4303) over UDP or raw IP, with static keys, a tun device,
EtherIP bridging of a tap device and a CBQ scheduler for the uplink.
It needs no kernel IPsec stack.")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://vpntund.invalid/")
# libssl3, libevent-core, libpcap (vpntunctl decrypt-pcap) and libc
# from the binaries; the user is made by systemd-sysusers, or by adduser
# where systemd is not installed.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/dist/debian/postinst
    ${CMAKE_SOURCE_DIR}/dist/debian/prerm
    ${CMAKE_SOURCE_DIR}/dist/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
