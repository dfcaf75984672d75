"""``ddf.contacts`` on Dask DataFrames: one job over a cluster that shares one cache.

``import contact_udfs`` registers the accessor when Dask is installed, without
importing Dask itself: importing Dask's DataFrame module costs about as much as
the rest of the package, and the Excel add-in and the command line never need
it. So registration happens at whichever comes last, ``import contact_udfs`` or
``import dask.dataframe`` (:func:`register_when_imported`). The accessor is
:mod:`contact_udfs.faces.dask.accessor`; how a job runs on the cluster is told
in :mod:`contact_udfs.faces.dask.graph`. (The accessor imports the graph module
only when called: a worker unpickling a task imports the graph module, whose
``import dask.dataframe`` runs the registration while it is itself half loaded.)
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from types import ModuleType
from typing import Any

__all__ = ["register", "register_when_imported"]

_TARGET = "dask.dataframe"
_lock = threading.Lock()


def register() -> None:
    """Register ``ddf.contacts`` now (imports Dask)."""
    from . import accessor  # noqa: F401  (the decorator registers it)


def register_when_imported() -> None:
    """Register at once if Dask's DataFrame module is loaded, else as soon as it is."""
    if _TARGET in sys.modules:
        register()
        return
    with _lock:
        if not any(isinstance(f, _Hook) for f in sys.meta_path):
            sys.meta_path.insert(0, _Hook())


class _Hook(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the real loader of ``dask.dataframe`` to register after it."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)  # once is enough, and never for our own lookup below
        for finder in list(sys.meta_path):
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Registering(spec.loader)
                return spec
        return None


class _Registering(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register()
