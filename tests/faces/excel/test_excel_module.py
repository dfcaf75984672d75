"""How the module meets xlwings: decorators, and life without xlwings at all."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from excel_helpers import UDF_NAMES

from contact_udfs.faces.excel import udfs as excel


@pytest.fixture
def reload_excel() -> Iterator[Any]:
    """Reload the UDF module under a patched ``sys.modules``; restore it afterwards."""
    yield lambda: importlib.reload(excel)
    importlib.reload(excel)


def _recording_xlwings(calls: list[tuple[str, Any, dict[str, Any]]]) -> types.ModuleType:
    fake = types.ModuleType("xlwings")

    def func(**options: Any) -> Any:
        def deco(f: Any) -> Any:
            calls.append(("func", f.__name__, options))
            return f

        return deco

    def arg(name: str, **options: Any) -> Any:
        def deco(f: Any) -> Any:
            calls.append(("arg", (f.__name__, name), options))
            return f

        return deco

    fake.func, fake.arg = func, arg  # type: ignore[attr-defined]
    return fake


def test_decorators_as_xlwings_sees_them(
    monkeypatch: pytest.MonkeyPatch, reload_excel: Any
) -> None:
    calls: list[tuple[str, Any, dict[str, Any]]] = []
    monkeypatch.setitem(sys.modules, "xlwings", _recording_xlwings(calls))
    reload_excel()
    funcs = {name: opts for kind, name, opts in calls if kind == "func"}
    assert set(funcs) == set(UDF_NAMES)
    for options in funcs.values():
        # not volatile, and call_in_wizard left at xlwings' default
        assert options == {"category": "Contact UDFs"}
    args = {name: opts for kind, name, opts in calls if kind == "arg"}
    for udf, name in [("VERIFY_EMAIL", "emails"), ("FIND_EMAIL", "first_name"),
                      ("FIND_EMAIL", "domain_or_company"), ("ENRICH_CONTACT", "company"),
                      ("CONTACT_ESTIMATE", "contacts")]:  # fmt: skip
        assert args[(udf, name)]["ndim"] == 2 and args[(udf, name)]["err_to_str"] is True
    assert all(opts.get("doc") for opts in args.values())


def test_works_without_xlwings(monkeypatch: pytest.MonkeyPatch, reload_excel: Any) -> None:
    monkeypatch.setitem(sys.modules, "xlwings", None)  # import xlwings -> ImportError
    module = reload_excel()
    assert module.xw is None
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "local")
    assert module.VERIFY_EMAIL([["not an email"], [None]]) == [["invalid"], [""]]


def test_udfs_are_plain_functions_with_docs_for_the_wizard() -> None:
    for name in UDF_NAMES:
        fn = getattr(excel, name)
        assert callable(fn) and fn.__name__ == name
        # Excel's function wizard shows the docstring: one line of at most 255 characters
        assert 40 < len(fn.__doc__) <= 255 and "\n" not in fn.__doc__
        assert not fn.__annotations__  # xlwings would read annotations as converters


def test_local_provider_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTACT_UDFS_PROVIDERS", "local")
    out = excel.VERIFY_EMAIL([["ada@gmial.com"], ["#N/A"], [""]], "suggestion")
    assert out == [["ada@gmail.com"], ["#ERROR: Excel error value #N/A"], [""]]
    assert excel.CONTACT_CREDITS()[0][0].startswith("#ERROR: no paid provider")
    assert excel.CONTACT_ESTIMATE([["ada@gmial.com"]]) == 0
