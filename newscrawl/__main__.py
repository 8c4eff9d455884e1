"""``python -m newscrawl`` is the ``newscrawl`` command."""

from newscrawl.cli import main

main()
