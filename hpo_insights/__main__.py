"""``python -m hpo_insights report ...``: the same as the ``hpo-insights`` command."""

from __future__ import annotations

import sys

from hpo_insights.cli import main

if __name__ == "__main__":
    sys.exit(main())
