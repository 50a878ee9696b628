"""The lead inbox: receives booking requests and newsletter signups from the site's forms.

A small Starlette application over SQLAlchemy Core (SQLite or PostgreSQL).
Start it with ``python -m inbox``; ``python -m inbox --help`` lists the settings.
The modules split by concern: ``validation``, ``tokens``, ``limits`` and
``export`` are pure; ``store`` owns every SQL statement; ``mail`` composes and
delivers email; ``messages`` holds every Norwegian text; ``forms``,
``subscription`` and ``staff`` are the endpoints; ``worker`` runs the outbox
and retention; ``app`` wires routes and middleware.

The forms themselves (fields, limits, texts, endpoint paths) are declared once
for the site and the inbox in ``hooks/hub/forms.py``. The site's hooks import
it as ``hub.forms`` because MkDocs puts ``hooks/`` on ``sys.path`` while it
loads a hook; the inbox puts the same folder there, so both import one module
under one name.
"""

import sys
from pathlib import Path

_HOOKS = str(Path(__file__).resolve().parent.parent / "hooks")
if _HOOKS not in sys.path:
    sys.path.append(_HOOKS)
