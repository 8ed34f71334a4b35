"""`python -m kiosk.cli`: the `kiosk` command (what the demo, the bench and the tests start)."""

from kiosk.cli.main import main

raise SystemExit(main())
