"""The API reference (docs/api/*.rst) lists every public name of the modules users import."""
import importlib
import inspect
import os
import re

import pytest

import cytensor.tensor as T

DOCS_API = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "api")

# Modules whose public names the reference must list. A package's public
# names are the cytensor objects it exposes; a plain module's are those it
# defines itself (not what it imports to do its work).
PACKAGES = ["cytensor", "cytensor.tensor", "cytensor.tensor.nnet"]
MODULES = ["cytensor.tensor.signal.pool", "cytensor.tensor.shared_randomstreams",
           "cytensor.tensor.random", "cytensor.gradient", "cytensor.printing",
           "cytensor.scan_module", "cytensor.ifelse", "cytensor.sandbox.rng_mrg"]
# Names documented once where they belong, though other namespaces expose them too.
DOCUMENTED_ELSEWHERE = {"config"}


def public_names(module_name):
    module = importlib.import_module(module_name)
    real_name = module.__spec__.name if module.__spec__ else module.__name__
    names = []
    for name in dir(module):
        obj = getattr(module, name)
        if name.startswith("_") or inspect.ismodule(obj) or name in DOCUMENTED_ELSEWHERE:
            continue
        defined_in = getattr(obj, "__module__", None) or ""
        if module_name in PACKAGES and module_name != "cytensor":
            wanted = defined_in.startswith("cytensor")
        elif module_name == "cytensor":
            wanted = defined_in.startswith("cytensor") or name == "config"
        else:
            wanted = defined_in in (module_name, real_name)
        if wanted:
            names.append(name)
    return names


def documented_names():
    """Every name listed in an autosummary table, or in literal form, on the API pages."""
    listed = set()
    for filename in os.listdir(DOCS_API):
        if not filename.endswith(".rst"):
            continue
        text = open(os.path.join(DOCS_API, filename)).read()
        current = None
        for line in text.splitlines():
            module = re.match(r"\.\. (?:currentmodule|module):: (\S+)", line)
            if module:
                current = module.group(1)
            entry = re.match(r"   (~?[A-Za-z_][\w.]*)$", line)
            if entry and current:
                listed.add(f"{current}.{entry.group(1).lstrip('~')}")
            for literal in re.findall(r"``(cytensor\.[\w.]+)``", line):
                listed.add(literal)
            for literal in re.findall(r"``([A-Za-z_]\w*)``", line):
                if current:
                    listed.add(f"{current}.{literal}")
    return listed


@pytest.mark.parametrize("module_name", PACKAGES + MODULES)
def test_every_public_name_is_in_the_api_reference(module_name):
    if module_name == "cytensor":
        names = public_names(module_name) + ["config"]
    else:
        names = public_names(module_name)
    listed = documented_names()
    missing = sorted(n for n in set(names) if f"{module_name}.{n}" not in listed)
    assert not missing, f"{module_name}: not in docs/api/*.rst: {missing}"


def test_the_typed_constructors_table_is_complete():
    """T.dmatrix, T.fvectors... are listed in the table of docs/api/tensor_types.rst."""
    text = open(os.path.join(DOCS_API, "tensor_types.rst")).read()
    constructors = [n for n in dir(T) if isinstance(getattr(T, n), T.TensorType)]
    assert len(constructors) > 50
    missing = [n for n in constructors if f"``{n}``" not in text]
    assert not missing, missing
