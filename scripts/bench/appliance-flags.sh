# Sourced by the scripts that build the appliance binary (scripts/bench/appliance-binary.sh, scripts/package-deb.sh,
# scripts/bench-size.sh): the one place its build options are written down. Release, size-optimized (-Osize), Swift
# runtime linked statically (one self-contained file, as a wallbox runs it), and options that leave out of the binary
# what a station never runs (issue 31 item 1; each one's figure is in docs/testing.md, "Size of the appliance binary"):
#   --no-export-dynamic       the static runtime's link options export every symbol into the dynamic symbol table
#                             (`-export-dynamic`); nothing loads code into the station at run time, so none is exported;
#   lld, -z pack-relative-relocs  the position-independent binary's relocations of its own addresses as a bitmap
#                             (DT_RELR, glibc ≥ 2.36: Debian bookworm) instead of one 24-byte entry each; gold cannot;
#   -internalize-at-link, -function-sections  Swift marks every public function "retained" (SHF_GNU_RETAIN), so the
#                             linker's --gc-sections (SwiftPM's default in release) could drop none of them; with these the
#                             functions no code and no metadata reaches are left out. Safe here because the whole program
#                             is one link (nothing outside calls into it);
#   -ffunction-sections, -fdata-sections  the same for the C targets (BoringSSL, twice: swift-nio-ssl's and swift-crypto's);
#   -enable-machine-outliner  LLVM moves instruction sequences repeated across functions into one (Swift and C; with LTO
#                             it runs in lld's code generator, the -mllvm option below: -1.87 MB);
#   appliance-no-unwind.ld, --no-eh-frame-hdr  the unwind tables (.eh_frame, .eh_frame_hdr: 6.4 MB) left out: nothing
#                             unwinds through them (Swift errors are returns, the backtracer walks frame pointers, BoringSSL's
#                             C++ exceptions only end in std::terminate); why, and the crash check: the .ld file, testing.md;
#   --icf=all                 identical functions folded into one (-1.49 MB): only code (read-only data keeps its address),
#                             and nothing here tells functions apart by address (testing.md says what was checked);
#   --experimental-lto-mode=full, -conditional-runtime-records  link-time optimization of the whole program (-3.1 MB):
#                             every Swift and C module is compiled to LLVM bitcode, and lld optimizes and generates the
#                             code of all of them at once, so inlining and dead-code elimination cross module boundaries;
#                             with conditional records a protocol conformance's record (and with it its witnesses) stays
#                             only while its type and its protocol do. SwiftPM's own LTO mode, not -Xswiftc -lto=...:
#                             it names the bitcode objects so that the link finds them, and the build plugin's tool
#                             (built for the host, run during the build) links with it too. The code is generated at
#                             the link, so the outliner is an option of lld's code generator there (-mllvm). Cost: the
#                             link takes 8-9 minutes on one core and about 10 GB of memory instead of 20 s (testing.md).
APPLIANCE_FLAGS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APPLIANCE_LINKER_FLAGS=(-z pack-relative-relocs --no-export-dynamic -T "$APPLIANCE_FLAGS_DIR/appliance-no-unwind.ld" --no-eh-frame-hdr --icf=all
  -mllvm -enable-machine-outliner)
APPLIANCE_LINK_SWIFTC_FLAGS=(-Xlinker --gc-sections)
for f in "${APPLIANCE_LINKER_FLAGS[@]}"; do APPLIANCE_LINK_SWIFTC_FLAGS+=(-Xlinker "$f"); done
APPLIANCE_SWIFTC_FLAGS=(-Osize -Xfrontend -internalize-at-link -Xfrontend -function-sections -use-ld=lld -Xllvm -enable-machine-outliner
  -Xfrontend -conditional-runtime-records)
# What SwiftPM's --experimental-lto-mode=full gives each Swift compile and the link (for a program built by swiftc alone).
APPLIANCE_LTO_SWIFTC_FLAGS=(-lto=llvm-full)
# `swift build` passes -Xswiftc options to every Swift compile and the link, -Xcc ones to every C compile, -Xlinker
# ones to the link.
APPLIANCE_BUILD_FLAGS=(-c release --static-swift-stdlib --experimental-lto-mode=full)
for f in "${APPLIANCE_SWIFTC_FLAGS[@]}"; do APPLIANCE_BUILD_FLAGS+=(-Xswiftc "$f"); done
APPLIANCE_BUILD_FLAGS+=(-Xcc -ffunction-sections -Xcc -fdata-sections -Xcc -mllvm -Xcc -enable-machine-outliner)
for f in "${APPLIANCE_LINKER_FLAGS[@]}"; do APPLIANCE_BUILD_FLAGS+=(-Xlinker "$f"); done
# Memory (issue 31 item 2): lld places the functions a station runs first in `.text`, together, in the order of
# scripts/bench/symbol-order.txt (scripts/symbol-order.sh makes it from a profiled run; when to remake it:
# docs/testing.md "Station: symbol order"), so that the binary's pages the kernel maps for them are few. A stale list
# only costs memory: names it lists that are gone are skipped without a warning, functions it does not list follow in
# the linker's usual order.
APPLIANCE_BUILD_FLAGS+=(-Xlinker "--symbol-ordering-file=$APPLIANCE_FLAGS_DIR/symbol-order.txt" -Xlinker --no-warn-symbol-ordering)
# Memory (issue 31 item 2): libstdc++ linked statically. The Swift runtime, Dispatch and BoringSSL need 37 of its
# symbols (std::string, a red-black tree, operator new/delete, the exception runtime, __cxa_demangle); linked
# dynamically, the loader maps all of libstdc++.so.6 and relocates its symbol tables at every start, about 1.1 MB of the
# station's PSS where no other process maps it (a wallbox's other programs are mostly C). The Swift driver's own
# `-lstdc++` (static-stdlib-args.lnk) finds the archive first in this directory, which holds only a link to it.
APPLIANCE_LIBSTDCXX_ARCHIVE="$(gcc -print-file-name=libstdc++.a 2>/dev/null || true)"
if [ -f "$APPLIANCE_LIBSTDCXX_ARCHIVE" ]; then
  APPLIANCE_STATIC_LIBS_DIR="$APPLIANCE_FLAGS_DIR/../../.build/appliance-static-libs"
  mkdir -p "$APPLIANCE_STATIC_LIBS_DIR"
  ln -sf "$APPLIANCE_LIBSTDCXX_ARCHIVE" "$APPLIANCE_STATIC_LIBS_DIR/libstdc++.a"
  APPLIANCE_STATIC_LIBS_DIR="$(cd "$APPLIANCE_STATIC_LIBS_DIR" && pwd)"
  APPLIANCE_BUILD_FLAGS+=(-Xlinker -L -Xlinker "$APPLIANCE_STATIC_LIBS_DIR")
else
  echo "appliance-flags.sh: libstdc++.a not found (Debian package libstdc++-12-dev); libstdc++ stays a shared library" >&2
fi
