"""Layers point down: no import cycle between the packages of ``src/retain``, and no domain uses
another domain's routers, commands or pages (design: "Package layout").

Imports inside functions count: a lazy import still ties two packages together.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src"
# What a domain serves to the outside; another domain uses its service functions and schemas.
INTERFACES = {"api", "cli", "pages", "page", "portal"}
# Above every domain: what mounts their routers, commands, pages and jobs, the customer-360 view
# that reads from many of them, and the demo that seeds them all and starts the server.
ASSEMBLY = {"api", "cli", "web", "jobs", "customer360", "demo", "__main__"}


@dataclass(frozen=True)
class Import:
    importer: str  # retain.x.y
    imported: str  # retain.a.b, or retain.a.b.name for ``from retain.a.b import name``
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.where} imports {self.imported}"


def package_of(module: str) -> str | None:
    """The top-level package (or module) under ``retain``: retain.churn.api -> churn."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "retain" else None


def imports_under(source: Path) -> Iterator[Import]:
    """Every import of every module under ``source/retain``, relative imports made absolute."""
    for path in sorted((source / "retain").rglob("*.py")):
        importer = ".".join(path.relative_to(source).with_suffix("").parts).removesuffix(
            ".__init__"
        )
        # The package that relative imports start from: a package's __init__ is in itself.
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(source)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(importer, alias.name, where)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                yield Import(importer, base, where)
                for alias in node.names:  # ``from retain.churn import api`` imports a module
                    yield Import(importer, f"{base}.{alias.name}", where)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*parent, *([node.module] if node.module else [])])


def package_graph(imports: list[Import]) -> dict[str, dict[str, Import]]:
    """Package -> the packages it imports, each with the first import that does."""
    graph: dict[str, dict[str, Import]] = {}
    for found in imports:
        mine, theirs = package_of(found.importer), package_of(found.imported)
        if mine and theirs and mine != theirs:
            graph.setdefault(mine, {}).setdefault(theirs, found)
    return graph


def cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """One shortest cycle through each package that is on one, each cycle listed once."""
    found: dict[tuple[str, ...], list[str]] = {}
    for start in sorted(graph):
        cycle = _shortest_cycle(graph, start)
        if cycle:
            turn = cycle.index(min(cycle))
            found.setdefault(tuple(cycle[turn:] + cycle[:turn]), cycle)
    return [list(key) for key in sorted(found)]


def _shortest_cycle(graph: dict[str, dict[str, Import]], start: str) -> list[str] | None:
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for following in sorted(graph.get(node, {})):
            if following == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if following not in came_from:
                came_from[following] = node
                queue.append(following)
    return None


def describe(cycle: list[str], graph: dict[str, dict[str, Import]]) -> str:
    hops = zip(cycle, cycle[1:] + cycle[:1], strict=True)
    return " -> ".join([*cycle, cycle[0]]) + "".join(
        f"\n    {graph[importer][imported]}" for importer, imported in hops
    )


def interface_imports(imports: list[Import]) -> list[Import]:
    """Imports by a domain of another domain's ``api``, ``cli`` or page modules."""
    return [
        found
        for found in imports
        if (mine := package_of(found.importer)) not in ASSEMBLY
        and (parts := found.imported.split("."))[0] == "retain"
        and len(parts) > 2
        and parts[1] != mine
        and parts[2] in INTERFACES
    ]


def upward_imports(imports: list[Import]) -> list[Import]:
    """Imports by a domain of the assembly above it."""
    return [
        found
        for found in imports
        if package_of(found.importer) not in ASSEMBLY and package_of(found.imported) in ASSEMBLY
    ]


@cache
def source_imports() -> list[Import]:
    """The imports of ``src/retain``, read once for all the checks."""
    return list(imports_under(SOURCE))


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph(source_imports())
    found = [describe(cycle, graph) for cycle in cycles(graph)]
    assert not found, f"{len(found)} import cycles between packages:\n" + "\n".join(found)


def test_no_domain_imports_another_domains_routers_commands_or_pages() -> None:
    found = sorted({str(bad) for bad in interface_imports(source_imports())})
    assert not found, "imports of another domain's interface modules:\n" + "\n".join(found)


def test_no_domain_imports_the_assembly_above_it() -> None:
    found = sorted({str(bad) for bad in upward_imports(source_imports())})
    assert not found, "imports of jobs, web, customer360 or the like by a domain:\n" + "\n".join(
        found
    )


def test_the_checks_see_lazy_and_relative_imports(tmp_path: Path) -> None:
    def write(name: str, text: str) -> None:
        path = tmp_path / "retain" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    write("alpha/__init__.py", "")
    write("alpha/service.py", "def run():\n    from retain.beta.service import go\n")
    write("beta/__init__.py", "")
    write("beta/service.py", "from ..alpha import service\n")
    write("gamma/report.py", "from retain.alpha import api\n")
    write("gamma/service.py", "def later():\n    import retain.jobs.worker\n")
    write("web/__init__.py", "from retain.alpha import api\n")
    imports = list(imports_under(tmp_path))
    graph = package_graph(imports)

    assert cycles(graph) == [["alpha", "beta"]]
    assert describe(["alpha", "beta"], graph) == (
        "alpha -> beta -> alpha"
        "\n    retain/alpha/service.py:2 imports retain.beta.service"
        "\n    retain/beta/service.py:1 imports retain.alpha"
    )
    assert [str(bad) for bad in interface_imports(imports)] == [
        "retain/gamma/report.py:1 imports retain.alpha.api"
    ]
    assert [str(bad) for bad in upward_imports(imports)] == [
        "retain/gamma/service.py:2 imports retain.jobs.worker"
    ]
