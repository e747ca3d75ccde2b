"""``python -m litlora_widgets.evaluation`` = ``litlora-eval``."""

from .cli import main

raise SystemExit(main())
