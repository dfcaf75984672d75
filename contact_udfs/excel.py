"""The Excel formulas, under the module name every workbook's ``xlwings.conf`` names.

``UDF Modules = contact_udfs.excel`` is written into each workbook we ship and
each one users made from it, so this name stays. The functions themselves live
in :mod:`contact_udfs.faces.excel.udfs`; xlwings finds them here through their
``__xlfunc__`` attribute, which re-exporting keeps.
"""

from __future__ import annotations

from .faces.excel.udfs import (
    CONTACT_CREDITS,
    CONTACT_ESTIMATE,
    ENRICH_CONTACT,
    FIND_EMAIL,
    VERIFY_EMAIL,
)

__all__ = ["CONTACT_CREDITS", "CONTACT_ESTIMATE", "ENRICH_CONTACT", "FIND_EMAIL", "VERIFY_EMAIL"]
