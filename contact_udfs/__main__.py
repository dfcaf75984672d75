"""``python -m contact_udfs`` runs the command line."""

import sys

from .faces.cli.main import main

sys.exit(main())
