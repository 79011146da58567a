"""Every package that src/retain imports is one that installing Retain provides.

A bare ``pip install retain`` has only the base dependencies: an import of a package that only
the test extra installs once broke ``make demo`` on every fresh machine while CI stayed green.
Imports of an optional extra's packages are allowed only inside functions (loaded on use).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "retain"
TEST_ONLY_EXTRAS = {"test"}


@dataclass(frozen=True)
class PackageImport:
    module: str
    path: Path
    line: int
    at_top: bool

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} imports {self.module}"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0])


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = {_requirement_name(item) for item in project["dependencies"]}
    extras = {
        extra: {_requirement_name(item) for item in items}
        for extra, items in project.get("optional-dependencies", {}).items()
    }
    return base, extras


def _imports(path: Path) -> list[PackageImport]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    top_level |= {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.If | ast.Try)
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            found.append(
                PackageImport(module.split(".")[0], path, node.lineno, id(node) in top_level)
            )
    return found


def _third_party_imports() -> list[PackageImport]:
    every = [found for path in sorted(SOURCE.rglob("*.py")) for found in _imports(path)]
    return [
        found
        for found in every
        if found.module not in sys.stdlib_module_names and found.module != "retain"
    ]


def test_every_import_is_a_base_dependency_or_a_lazy_optional_one() -> None:
    base, extras = _declared()
    optional = set().union(
        *(names for extra, names in extras.items() if extra not in TEST_ONLY_EXTRAS)
    )
    distributions = packages_distributions()
    problems = []
    for found in _third_party_imports():
        names = {_normalise(name) for name in distributions.get(found.module, [found.module])}
        if names & base:
            continue
        if names & optional and not found.at_top:
            continue
        where = "an optional extra's package at module level" if names & optional else "undeclared"
        problems.append(f"{found} ({where})")
    assert not problems, "\n".join(problems)


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("import json\n\ndef load():\n    import lightgbm\n    return lightgbm\n")
    found = _imports(module)
    assert [(item.module, item.at_top) for item in found] == [("json", True), ("lightgbm", False)]
