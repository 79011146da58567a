"""``import retain`` gives the documented Python API, and stays as light as the ``retain`` command.

The import check runs in a fresh interpreter, so modules this test session has already imported
cannot hide an import that ``import retain`` makes.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import retain
from tests.test_cli_startup import HEAVY

ROOT = Path(__file__).resolve().parents[1]
LIST_MODULES = "import json, sys, retain; print(json.dumps(sorted(sys.modules)))"


def test_import_retain_loads_no_heavy_library_and_no_domain() -> None:
    printed = subprocess.run(
        [sys.executable, "-c", LIST_MODULES],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    modules = set(json.loads(printed))
    heavy = sorted(name for name in modules if name.split(".")[0] in HEAVY)
    assert heavy == []
    assert sorted(name for name in modules if name.startswith("retain.")) == []


@pytest.mark.parametrize("name", [name for name in retain.__all__ if name != "__version__"])
def test_every_exported_name_resolves_to_the_function_the_commands_call(name: str) -> None:
    value = getattr(retain, name)
    assert callable(value)
    assert value.__module__.startswith("retain.")
    assert name in dir(retain)


def test_exported_domain_functions_take_keyword_arguments() -> None:
    positional = [
        name
        for name in retain.__all__
        if inspect.isfunction(exported := getattr(retain, name))
        and not exported.__module__.startswith(
            ("retain.settings", "retain.store", "retain.warehouse")
        )
        and any(
            parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            for parameter in inspect.signature(exported).parameters.values()
        )
    ]
    assert positional == []


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'compute_everything'"):
        _ = retain.compute_everything  # type: ignore[attr-defined]


def test_the_readme_documents_every_exported_name() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in retain.__all__ if name != "__version__" and name not in section]
    assert missing == []
