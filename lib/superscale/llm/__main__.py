"""``python -m superscale.llm``: see :mod:`superscale.llm.cli` (chapter 6)."""

from .cli import main

raise SystemExit(main())
