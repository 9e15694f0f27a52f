"""`python -m mlops_tui` runs the same entry point as the `mlops-tui` script."""

from mlops_tui.cli import main

raise SystemExit(main())
