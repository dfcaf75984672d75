"""Rebuild ``contact_udfs.xlsm`` beside this script from xlwings' quickstart workbook.

    python workbook_templates/build_template.py [OUT.xlsm]

The workbook is generated (never edited by hand) so a new xlwings release or a
new sample sheet is one command away; commit the regenerated file with the change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from contact_udfs.faces.excel.workbook import TEMPLATE_NAME, build_template


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parent / TEMPLATE_NAME
    print(build_template(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
