"""pyproject.toml's metadata: one version source, an SPDX licence, the files it names."""
import pathlib
import re
import tomllib

import cytensor

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "cytensor._version.__version__"
    assert re.fullmatch(r'"""[^"]+"""\n__version__ = "[^"]+"\n',
                        (ROOT / "src/cytensor/_version.py").read_text())
    from cytensor._version import __version__
    assert cytensor.__version__ == __version__


def test_licence_readme_and_python_versions():
    project = PYPROJECT["project"]
    assert project["license"] == "BSD-3-Clause" and project["license-files"] == ["LICENSE"]
    assert "cytensor developers" in (ROOT / "LICENSE").read_text()
    assert (ROOT / project["readme"]).exists()
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # PEP 639
    assert any(r.startswith("setuptools>=77") for r in PYPROJECT["build-system"]["requires"])
    minimum = project["requires-python"].removeprefix(">=")
    assert f"Programming Language :: Python :: {minimum}" in project["classifiers"]


def test_the_sdist_manifest_takes_every_build_input():
    manifest = (ROOT / "MANIFEST.in").read_text()
    assert "recursive-include src/cytensor *.pyx *.pxd *.pxi *.h *.def" in manifest
    assert "exclude src/cytensor/kernels/_buildinfo.py" in manifest
