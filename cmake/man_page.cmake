# cmake -P: renders one markdown manual, docs/<name>.<section>.md, as a
# roff man page with lowdown. The markdown stays clean for the web: its
# "# NAME(N)" title line is dropped and the .TH line comes from
# metadata given here; its "##" sections become .SH, "###" .SS.
#
#   cmake -DLOWDOWN=... -DMD=... -DOUT=... -DSECTION=8 -DVERSION=0.1.0
#         -P man_page.cmake
foreach(v LOWDOWN MD OUT SECTION VERSION)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "man_page.cmake: ${v} not set")
  endif()
endforeach()

get_filename_component(file "${MD}" NAME)
string(REGEX REPLACE "[.][0-9][.]md$" "" name "${file}")
string(TOUPPER "${name}" title)
if(SECTION STREQUAL "1")
  set(volume "General Commands Manual")
elseif(SECTION STREQUAL "5")
  set(volume "File Formats Manual")
else()
  set(volume "System Manager's Manual")
endif()

# The page's date is that of its last commit, so that a rebuild of the
# same tree gives the same page; the file's own date outside git.
# string(TIMESTAMP) honours SOURCE_DATE_EPOCH.
get_filename_component(dir "${MD}" DIRECTORY)
execute_process(COMMAND git log -1 --format=%cs -- "${file}"
                WORKING_DIRECTORY "${dir}" OUTPUT_VARIABLE date
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT date MATCHES "^[0-9]+-[0-9]+-[0-9]+$")
  if(DEFINED ENV{SOURCE_DATE_EPOCH})
    string(TIMESTAMP date "%Y-%m-%d" UTC)
  else()
    file(TIMESTAMP "${MD}" date "%Y-%m-%d" UTC)
  endif()
endif()

file(READ "${MD}" text)
string(REGEX REPLACE "^# [^\n]*\n+" "" text "${text}")
file(WRITE "${OUT}.md" "${text}")
execute_process(
  COMMAND "${LOWDOWN}" -s -Tman --out-no-smarty --parse-no-intraemph
          --parse-no-super
          -M "title=${title}" -M "section=${SECTION}" -M "date=${date}"
          -M "source=vpntund ${VERSION}" -M "volume=${volume}"
          -M shiftheadinglevelby=-1 "${OUT}.md"
  OUTPUT_VARIABLE roff RESULT_VARIABLE rc)
file(REMOVE "${OUT}.md")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lowdown failed on ${MD}")
endif()

# What lowdown 1.0 writes that readers of the page trip over:
# - \fC (code spans) is no font for mandoc or a terminal; \f(CR is
#   groff's and mandoc's constant-width roman;
# - a raw UTF-8 em dash in NAME hides the page from whatis(1) and
#   apropos(1) (mandb parses "name \(em description");
# - .LP right after a heading is a paragraph that cannot start there;
# - hyphenation breaks paths and options (/run/vpn-tund), and
#   justification spreads the words of a line that has a long one: no
#   hyphens (groff's register HY) and a ragged right margin.
string(REPLACE "\\fC" "\\f(CR" roff "${roff}")
string(REPLACE "—" "\\(em" roff "${roff}")
string(REGEX REPLACE "(\n[.]S[HS]\n[^\n]*\n)[.]LP\n" "\\1" roff "${roff}")
string(REGEX REPLACE "\n([.]TH [^\n]*\n)" "\n.nr HY 0\n\\1.ad l\n" roff "${roff}")
file(WRITE "${OUT}" "${roff}")
