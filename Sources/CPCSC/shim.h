// pcsc-lite's WinSCard API (Debian libpcsclite-dev), for the PC/SC card reader. The headers live in /usr/include/PCSC
// and include each other as <wintypes.h>: Package.swift takes the include path from pkg-config (libpcsclite.pc).
#include <winscard.h>
