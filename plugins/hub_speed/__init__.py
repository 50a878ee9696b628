"""Build speed-ups for the hub, as a MkDocs plugin (``hub-speed`` in mkdocs.yml): the output never changes.

One module per speed-up, each switched by one flag of :class:`hub_speed.plugin.SpeedConfig`:

* :mod:`.excerpts`: a listing converts only the text before ``<!-- more -->``,
  parses each excerpt once per build, and takes it from the cache;
* :mod:`.pages`: every page's Markdown is converted once, then kept in a
  persistent, content-keyed cache (:mod:`.cache`, JSON entries in SQLite);
* :mod:`.posts`: ``page in blog.posts`` is a set lookup instead of a scan;
* :mod:`.navigation`: the navigation is rendered once per distinct state;
* :mod:`.templates`: Jinja's generated Python is kept across builds, so a
  template is parsed and generated once, not on every build;
* :mod:`.rss`: the RSS plugin's git and HTTP libraries load when first used;
* :mod:`.preview`: a large hub's ``mkdocs serve --dirty`` keeps listing pages.

Every patch of an upstream function is described by a :class:`.pins.Patch`: the
file and line it replaces, the hash of the upstream source it was written
against, and when it can go. On any other source the speed-up stays off and
says so (:func:`.pins.check`), and tests/test_speed.py fails loudly.
"""
