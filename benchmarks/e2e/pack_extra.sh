#!/usr/bin/env bash
# Here, next to ../shared/gpu/pack.sh: what the smoke run needs on the lent GPU machine beyond the kit's site, for
# CPython 3.12 x86_64, into .gpu/extra/ (git-ignored), carried once: math-verify and latex2sympy2_extended (the math
# reward's symbolic check; pure Python, under 1 MB), this machine's `make` (the release targets; the image has none),
# and with WITH_MATPLOTLIB=1 matplotlib and its dependencies (about 23 MB; the H200 image has matplotlib, the H100's
# did not). gpu_smoke.sh unpacks them into /tmp/site-extra on the device.
#
# Usage (from the project root):  bash benchmarks/e2e/pack_extra.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DEST=.gpu/extra
mkdir -p "$DEST"
PLAT=()
for p in manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014 manylinux_2_24 manylinux1 manylinux_2_5 linux; do
  PLAT+=(--platform "${p}_x86_64")
done
WHEELS=(math-verify==0.9.0 latex2sympy2_extended==1.11.0)
[[ "${WITH_MATPLOTLIB:-0}" == 1 ]] && WHEELS+=(matplotlib==3.10.8 contourpy==1.4.0 cycler==0.12.1 fonttools==4.68.0
  kiwisolver==1.5.1 pillow==13.0.0 pyparsing==3.3.3 python-dateutil==2.9.0.post0 six==1.17.0)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
  --abi abi3 --abi none "${PLAT[@]}" -d "$DEST" "${WHEELS[@]}"
# math-verify's LaTeX parser needs antlr4 4.9.3 (hydra's pin; the kit has it, but the warm-up of the first device
# call runs before the kit is unpacked). It is published as a source archive only: build its pure-Python wheel.
python3 -m pip wheel -q --no-deps -w "$DEST" antlr4-python3-runtime==4.9.3
cp "$(command -v make)" "$DEST/make"
du -sh "$DEST"
echo "packed. Carry \"$DEST\" with the first gpu_smoke.sh device call (benchmarks/e2e/README.md)."
