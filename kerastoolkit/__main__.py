"""`python -m kerastoolkit` runs the command-line interface."""

from kerastoolkit.cli import main

raise SystemExit(main())
