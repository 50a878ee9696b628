"""The lead inbox: receives booking requests and newsletter signups from the site's forms.

A small Starlette application over SQLAlchemy Core (SQLite or PostgreSQL).
Start it with ``python -m inbox``; ``python -m inbox --help`` lists the settings.
The modules split by concern: ``validation``, ``tokens``, ``limits`` and
``export`` are pure; ``store`` owns every SQL statement; ``mail`` composes and
delivers email; ``messages`` holds every Norwegian text; ``forms``,
``subscription`` and ``staff`` are the endpoints; ``worker`` runs the outbox
and retention; ``app`` wires routes and middleware.
"""
