"""``python -m aiohttp_clone``: the same command as the ``aiohttp-clone`` script."""

from .cli import main

raise SystemExit(main())
