"""The lead inbox: receives booking requests and newsletter signups from the site's forms.

A small Starlette application over SQLAlchemy Core (SQLite or PostgreSQL).
Start it with ``python -m inbox``; ``python -m inbox --help`` lists the settings.
The modules split by concern: ``validation`` and ``tokens`` are pure,
``store`` owns every SQL statement, ``mail`` composes and delivers email
through a durable outbox, ``app`` wires the HTTP endpoints and staff pages.
"""
