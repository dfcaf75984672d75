"""The package's import layers, checked by reading every module's imports.

The rules a newcomer needs (docs/architecture.md draws them):

* every module lives in a *room* (``faces.excel``, ``core``, ``store``...) and
  each room has a rank; a module imports only from its own room or from rooms
  of a lower rank::

      7  contact_udfs (the package itself), contact_udfs.excel (the UDF module name)
      6  faces.excel  faces.pandas  faces.dask  faces.cli  faces.mcp  faces.listen
      5  api
      4  core
      3  providers
      2  http  store
      1  identity
      0  config  exceptions  models

* rooms of one rank never import each other (faces are peers, and so are
  ``http`` and ``store``), except that rank 0 is one base;
* the one exception among faces: the command line is the launcher of the
  others (``contact-udfs template`` writes the Excel workbook,
  ``contact-udfs mcp`` and ``listen`` serve), so ``faces.cli`` may start them;
* ``sandbox`` (the vendor simulator) imports nothing of the package outside
  itself, so it can never be shaped by the client's code; only faces use it;
* no import cycle anywhere, counting imports inside functions and under
  ``TYPE_CHECKING`` too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import contact_udfs

PACKAGE = Path(contact_udfs.__file__).resolve().parent
TOP = "contact_udfs"

RANKS: dict[str, int] = {
    "": 7, "excel": 7, "__main__": 7,
    "faces": 6,
    "api": 5,
    "core": 4,
    "providers": 3,
    "http": 2, "store": 2,
    "identity": 1,
    "config": 0, "exceptions": 0, "models": 0,
}  # fmt: skip
#: faces.cli may launch these faces
LAUNCHED_BY_CLI = {"faces.excel", "faces.mcp", "faces.listen"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".")
    if not is_package:
        base.pop()
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(module: str) -> Iterator[tuple[str, int]]:
    """(imported module of the package, line) for every import in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == TOP or alias.name.startswith(TOP + "."):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = (
                _resolve(module, is_package, node.level, node.module)
                if node.level
                else node.module or ""
            )
            if not (target == TOP or target.startswith(TOP + ".")):
                continue
            for alias in node.names:  # ``from . import jobs`` imports a module
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else target), node.lineno


def room(module: str) -> str:
    """The room of a module: ``contact_udfs.faces.excel.udfs`` is in ``faces.excel``."""
    parts = module.split(".")[1:]
    if not parts:
        return ""
    if parts[0] == "faces" and len(parts) > 1:
        return f"faces.{parts[1]}"
    return parts[0]


def rank(module: str) -> int | None:
    return RANKS.get(room(module).split(".")[0])


EDGES = {m: sorted(set(imports_of(m))) for m in MODULES}


def _violations() -> list[str]:
    bad = []
    for module, targets in EDGES.items():
        src = room(module)
        for target, line in targets:
            dst = room(target)
            where = f"{module}:{line} imports {target}"
            if src == dst:
                continue
            if dst == "sandbox":
                if not src.startswith("faces"):
                    bad.append(f"{where}: only faces may use the simulator")
                continue
            if src == "sandbox":
                bad.append(f"{where}: the simulator imports nothing of the client")
                continue
            if src == "faces.cli" and dst in LAUNCHED_BY_CLI:
                continue
            high, low = rank(module), rank(target)
            assert high is not None and low is not None, f"{where}: a room without a rank"
            if low > high:
                bad.append(f"{where}: rank {high} may not import rank {low}")
            elif low == high and high != 0:
                bad.append(f"{where}: {src} and {dst} are peers")
    return bad


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w, _ in EDGES.get(v, []):
            if w not in MODULES or w == v:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return found


def test_every_room_has_a_rank() -> None:
    rooms = {room(m) for m in MODULES} - {"sandbox", "data"}
    assert {r for r in rooms if rank(f"{TOP}.{r}") is None} == set()


def test_imports_go_down_the_layers() -> None:
    assert _violations() == []


def test_no_import_cycles() -> None:
    assert _cycles() == []


def test_the_checker_sees_a_violation_and_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules above can fail: an upward import and a two-module cycle are both caught."""
    edges = dict(EDGES)
    edges[f"{TOP}.models"] = [*edges[f"{TOP}.models"], (f"{TOP}.core.engine", 1)]
    monkeypatch.setattr(__import__(__name__), "EDGES", edges)
    assert any("rank 0 may not import rank 4" in v for v in _violations())
    assert any(f"{TOP}.models" in c for c in _cycles())


def test_the_dataframe_faces_share_core_not_each_other() -> None:
    """``df.contacts`` and ``ddf.contacts`` give the same columns from one place in core."""
    rooms = {room(m) for m in MODULES}
    assert {"faces.pandas", "faces.dask"} <= rooms
    for face, peer in (("faces.pandas", "faces.dask"), ("faces.dask", "faces.pandas")):
        used = {room(t) for m, targets in EDGES.items() if room(m) == face for t, _ in targets}
        assert peer not in used
        assert f"{TOP}.core.answer_columns" in {
            t for m, targets in EDGES.items() if room(m) == face for t, _ in targets
        }
