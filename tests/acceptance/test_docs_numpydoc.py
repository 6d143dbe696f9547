"""Every name in the API reference has a NumPy-style docstring whose examples run.

The reference (docs/api/*.rst) lists names in autosummary tables; each gets a
page made from its docstring. A page teaches only if the docstring has a
one-line summary, ``Parameters`` (for a callable that takes any), ``Returns``
or ``Yields`` (for a function) and an ``Examples`` section with a doctest.
``NOT_YET_DOCUMENTED`` lists the names still short of that: the list may only
shrink (a name that gains its sections must leave it), and a name added to
the reference must come with its sections.
"""
import doctest
import importlib
import inspect
import os
import re

import numpy
import pytest

import cytensor
import cytensor.tensor as T

DOCS_API = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "api")

# The same flags and names as the Sphinx doctest build (docs/conf.py).
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL | doctest.DONT_ACCEPT_TRUE_FOR_1

NOT_YET_DOCUMENTED = set()


def reference_entries():
    """(module, name) for every entry of an autosummary table on the API pages."""
    entries = []
    for filename in sorted(os.listdir(DOCS_API)):
        if not filename.endswith(".rst"):
            continue
        module = None
        in_table = False
        for line in open(os.path.join(DOCS_API, filename)).read().splitlines():
            current = re.match(r"\.\. (?:currentmodule|module):: (\S+)", line)
            if current:
                module = current.group(1)
            if line.startswith(".. autosummary::"):
                in_table = True
            elif line and not line.startswith(" "):
                in_table = False
            entry = re.match(r"   (~?[A-Za-z_][\w.]*)$", line)
            if in_table and entry and module:
                entries.append((module, entry.group(1).lstrip("~")))
    return entries


def resolve(module_name, name):
    obj = importlib.import_module(module_name)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def sections(doc):
    """The numpydoc section titles of a docstring (a line underlined with dashes)."""
    return set(re.findall(r"^(\w[\w ]*)\n-{3,}$", doc, re.M))


def takes_parameters(obj):
    """Whether a callable takes any parameter a user passes (not self, not *args of an Op)."""
    if inspect.isclass(obj):
        # A constructor inherited from NumPy or Python (ndarray, Exception) is not documented here.
        owner = next(c for c in obj.__mro__ if "__init__" in vars(c))
        if not owner.__module__.startswith("cytensor"):
            return False
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return False
    return any(p != "self" for p in signature.parameters)


def missing_sections(obj):
    """The sections a docstring lacks, by the rules in this module's docstring."""
    doc = inspect.getdoc(obj) or ""
    found = sections(doc)
    missing = []
    if callable(obj) and not inspect.isroutine(obj) and not inspect.isclass(obj):
        obj = type(obj)           # an op instance (crossentropy_categorical_1hot): its class's rules
    if not doc.strip() or not doc.splitlines()[0].strip():
        missing.append("summary")
    if callable(obj) and takes_parameters(obj) and "Parameters" not in found:
        missing.append("Parameters")
    if (callable(obj) and not inspect.isclass(obj)
            and not {"Returns", "Yields"} & found):
        missing.append("Returns")
    if "Examples" not in found or ">>>" not in doc:
        missing.append("Examples")
    return missing


ENTRIES = reference_entries()
FULL_NAME = {entry: f"{entry[0]}.{entry[1]}" for entry in ENTRIES}


def test_the_reference_lists_names():
    assert len(ENTRIES) > 250


def test_every_name_in_the_reference_has_the_numpydoc_sections():
    short = {}
    for entry in ENTRIES:
        missing = missing_sections(resolve(*entry))
        if missing and FULL_NAME[entry] not in NOT_YET_DOCUMENTED:
            short[FULL_NAME[entry]] = missing
    assert not short, f"docstrings without their numpydoc sections: {short}"


def test_the_list_of_names_not_yet_documented_only_shrinks():
    listed = set(FULL_NAME.values())
    gone = sorted(NOT_YET_DOCUMENTED - listed)
    assert not gone, f"in NOT_YET_DOCUMENTED but not in the reference: {gone}"
    done = sorted(name for entry, name in FULL_NAME.items()
                  if name in NOT_YET_DOCUMENTED and not missing_sections(resolve(*entry)))
    assert not done, f"documented now: remove from NOT_YET_DOCUMENTED: {done}"


def _documented_objects():
    """Each documented object once (several names may point at one function)."""
    seen = {}
    for entry in ENTRIES:
        obj = resolve(*entry)
        if FULL_NAME[entry] not in NOT_YET_DOCUMENTED:
            seen.setdefault(id(obj), (FULL_NAME[entry], obj))
    return sorted(seen.values(), key=lambda pair: pair[0])


@pytest.mark.parametrize("name,obj", _documented_objects(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_examples_run(name, obj, tmp_path, monkeypatch):
    """The docstring's examples give the output they show (files they write go to a temporary folder)."""
    monkeypatch.chdir(tmp_path)
    doc = inspect.getdoc(obj)
    globs = {"numpy": numpy, "theano": cytensor, "T": T, "shared": cytensor.shared}
    test = doctest.DocTestParser().get_doctest(doc, globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    report = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
