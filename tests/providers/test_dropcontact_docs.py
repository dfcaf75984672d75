"""docs/providers.md shows the Dropcontact qualification table the code reads."""

from __future__ import annotations

from pathlib import Path

from contact_udfs.providers._dropcontact_map import DOMAIN_PARTS, LOCAL_PARTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers.md"


def _table(text: str, header: str) -> list[list[str]]:
    lines = text[text.index(header):].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## Dropcontact\n"):]


def test_the_local_part_table_is_the_code_table() -> None:
    shown = {row[0]: (row[1], row[2], row[3]) for row in
             _table(_section(), "| local part | status | reason | flags |")}
    code = {name: (status.value, reason,
                   ", ".join(f"`{k}={v}`" for k, v in flags.items()).strip("`"))
            for name, (status, reason, flags) in LOCAL_PARTS.items()}
    assert shown == code


def test_the_domain_part_table_is_the_code_table() -> None:
    shown = {row[0]: row[1] for row in _table(_section(), "| domain part | effect |")}
    assert set(shown) == set(DOMAIN_PARTS)
    for name, effect in DOMAIN_PARTS.items():
        if isinstance(effect, tuple):
            assert shown[name].startswith(f"{effect[0].value}, reason `{effect[1]}`")
        else:
            assert shown[name] == ", ".join(f"{k}={v}" for k, v in effect.items())
