#!/usr/bin/env bash
# Coverage-guided fuzzing of the image decoders (PNG, JPEG, TIFF, BMP, PGM/PPM) with libFuzzer (swiftc -sanitize=fuzzer): builds the Codecs
# target instrumented in .build-fuzz, links Scripts/fuzz/ImageHarness.swift against it, and runs it on the
# committed image fixtures as seed corpus. A crash, a hang or an error that is not a CodecError stops it
# with the input saved (crash-*, timeout-*). Usage: Scripts/fuzz-libfuzzer.sh [SECONDS (default 60)]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-60}"
Scripts/setup.sh --no-build
S=.build-fuzz
swift build --scratch-path "$S" -c release --target Codecs -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link \
  2>&1 | grep -E "error" || true
B="$S/release" G="$S/x86_64-unknown-linux-gnu/release"
objs=$(ls "$B"/{Codecs,Tensor,CShims,CPlatform,RealModule,_NumericsShims,ZIPFoundation}.build/*.o)
maps=()
for m in "$G/CShims.build/module.modulemap" "$G/CPlatform.build/module.modulemap" \
         "$S/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap" \
         "$S/checkouts/ZIPFoundation/Sources/CZLib/module.modulemap" \
         Sources/Native/{CBLAS,CPNG,CHDF5,CTurboJPEG,CTIFF}/module.modulemap; do
  maps+=(-Xcc "-fmodule-map-file=$m")
done
swiftc -O -sanitize=fuzzer -parse-as-library -I "$B/Modules" "${maps[@]}" -Xcc -I/usr/include/hdf5/serial \
  Scripts/fuzz/ImageHarness.swift $objs -L/usr/lib/x86_64-linux-gnu/hdf5/serial \
  -lpng16 -lturbojpeg -ltiff -lhdf5 -lopenblas -lz -o "$S/fuzz-images"
corpus="$(mktemp -d)"
cp Tests/CodecsTests/Fixtures/*.{png,jpg,bmp,pgm,ppm} Tests/CodecsTests/Fixtures/tiff/*.tif "$corpus/"
cd "$S"
./fuzz-images -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=4096 -max_len=65536 "$corpus" 2>&1 | tail -12
