"""One registry style for every component kind, public re-exports, and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from plumbing.errors import FactorRegimesError
from plumbing.registry import Registry
from tests import REPO


def _registries() -> dict[str, Registry]:
    from allocation.allocators import ALLOCATORS
    from allocation.forecasters import FORECASTERS
    from experiments.analyses import ANALYSES
    from regimes.data import SOURCES
    from regimes.detectors import DETECTORS
    from regimes.features import FEATURES
    return {"detector": DETECTORS, "feature": FEATURES, "forecaster": FORECASTERS, "allocator": ALLOCATORS,
            "analysis": ANALYSES, "data source": SOURCES}


@pytest.mark.parametrize("kind", ["detector", "feature", "forecaster", "allocator", "analysis", "data source"])
def test_every_component_kind_uses_the_one_registry(kind: str) -> None:
    registry = _registries()[kind]
    assert isinstance(registry, Registry) and registry.kind == kind
    names = registry.names()
    assert names and list(registry) == names and len(registry) == len(names)
    with pytest.raises(FactorRegimesError, match=f"unknown {kind} 'zz_not_a_name'"):
        registry.get("zz_not_a_name")


def test_registry_refuses_duplicates_and_unknown_parameters() -> None:
    reg: Registry = Registry("widget")

    @reg.register("w")
    def make(size: int = 1) -> int:
        return size

    with pytest.raises(ValueError, match="already registered"):
        reg.add("w", object())
    assert reg.create("w", size=3) == 3
    with pytest.raises(FactorRegimesError, match="no parameter 'sise' \\(did you mean 'size'\\?\\)"):
        reg.create("w", sise=3)


def test_make_source_builds_by_name_and_names_the_choices() -> None:
    from regimes.data import LocalSource, SampleSource, make_source
    assert isinstance(make_source("sample"), SampleSource)
    assert isinstance(make_source("local", data_dir=REPO), LocalSource)
    with pytest.raises(FactorRegimesError, match="unknown data source 'lcal'; choose local, download, sample, csv"):
        make_source("lcal")


@pytest.mark.parametrize("package", ["regimes", "allocation", "experiments", "plumbing"])
def test_each_package_re_exports_its_public_names(package: str) -> None:
    import importlib
    module = importlib.import_module(package)
    assert module.__all__, f"{package} exports nothing"
    for name in module.__all__:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError):
        module.zz_not_a_name  # noqa: B018


def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that ``path`` imports, at any depth (function-level imports count too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(package):
            base = node.module
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from regimes.data import _payload`
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith(package))
    return out


def test_no_import_cycle_between_the_data_modules() -> None:
    """Edges between ``regimes.data`` modules (the package ``__init__`` aside) form no cycle."""
    folder = REPO / "regimes" / "data"
    modules = {f"regimes.data.{p.stem}": p for p in folder.glob("*.py") if p.stem != "__init__"}
    graph = {m: {d for d in _imports(p, "regimes.data") if d in modules and d != m} for m, p in modules.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: tuple) -> None:
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join((*trail, node)))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph[node]):
            visit(nxt, (*trail, node))
        state[node] = 2

    for module in sorted(graph):
        visit(module, ())


def test_plumbing_imports_no_other_package() -> None:
    for path in (REPO / "plumbing").glob("*.py"):
        for package in ("regimes", "allocation", "experiments"):
            assert not _imports(path, package), f"{path.name} imports {package}"
