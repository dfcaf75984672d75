"""What every store shares: decoding many stored answers at once."""

from __future__ import annotations

import json

import pytest

from contact_udfs.store._common import loads_many


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ['{"a": 1}'],
        ['{"a": 1}', '{"b": [1, 2]}', '"text"', "null", "3.5", '{"c": {"d": "é"}}'],
    ],
)
def test_loads_many_decodes_as_loads_does_one_by_one(texts: list[str]) -> None:
    assert loads_many(texts) == [json.loads(t) for t in texts]


def test_a_text_that_is_not_one_json_value_fails_as_it_would_alone() -> None:
    # joined, these two would read as three values: each is decoded on its own instead
    with pytest.raises(json.JSONDecodeError):
        loads_many(['{"a": 1}, {"b": 2}', '{"c": 3}'])
    with pytest.raises(json.JSONDecodeError):
        loads_many(['{"a": 1}', "{not json"])
    # halves of objects that join into whole ones are still refused, as alone
    with pytest.raises(json.JSONDecodeError):
        loads_many(['{"a": 1}, {"b": 2', '"c": 3}'])
    with pytest.raises(json.JSONDecodeError):
        loads_many(["[1", "2]"])


def test_dumps_is_compact_json_and_falls_back_where_orjson_refuses():
    from datetime import datetime

    from contact_udfs.store._common import dumps

    value = {"a": 'é\u2028\n"\\', "b": [1, 2.5, None, True, False], "c": {"d": []}}
    assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # beyond 64-bit integers and keys that are not strings: the standard library's text
    odd = {"big": 2**70, 1: "one", None: "none"}
    assert dumps(odd) == json.dumps(odd, ensure_ascii=False, separators=(",", ":"))
    assert dumps("x") == '"x"'
    for refused in ({"when": datetime(2026, 1, 1)}, {"what": object()}, {1, 2}):
        with pytest.raises(TypeError, match="not JSON serializable"):
            dumps(refused)
