"""Entry point of a benchmark child process: ``_child.py MODULE FUNCTION KWARGS_JSON OUT``.

Heavy measurements run in a fresh interpreter so their peak RSS is theirs
alone; the result goes to a file rather than stdout, because libraries may print.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    module, function, kwargs, out = argv
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    importlib.import_module("_common").keep_traffic_local()
    result = getattr(importlib.import_module(module), function)(**json.loads(kwargs))
    Path(out).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
