# Every third-party dependency becomes an imported target here; modules link them PRIVATE.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(tl-expected REQUIRED)
find_package(CURL REQUIRED)
find_package(CLI11 REQUIRED)
find_package(SQLite3 REQUIRED)
# gzip for the HTTP server's answers (src/http/compression.cpp).
find_package(ZLIB REQUIRED)
# cpp-httplib serves nothing any more (the server is our own, ADR 0011); it is the loopback client
# of tests and benchmarks (src/http/client.cpp).
# Debian ships cpp-httplib as a shared library whose .pc carries the feature defines; a TU
# without them sees other class layouts than the .so, so it must come through pkg-config.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
# PDF/A-3 post-processing of the invoice PDF for Factur-X (ADR 0017), Debian libqpdf-dev.
pkg_check_modules(QPDF REQUIRED IMPORTED_TARGET libqpdf)
# Reading received e-invoices (src/einvoice/cii_reader.cpp), Debian libxml2-dev.
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
find_library(HPDF_LIBRARY NAMES hpdf REQUIRED)
find_path(HPDF_INCLUDE_DIR hpdf.h REQUIRED)
add_library(hs_hpdf INTERFACE)
target_link_libraries(hs_hpdf INTERFACE ${HPDF_LIBRARY})
target_include_directories(hs_hpdf INTERFACE ${HPDF_INCLUDE_DIR})
