"""W&B runs tables (the runs table exported from a project or sweep)."""

from __future__ import annotations

# W&B runs-table columns that are run metadata, not params or metrics.
WANDB_META = ("Name", "State", "Notes", "User", "Tags", "Created", "Runtime", "Sweep", "ID")
