"""Pure building blocks of the content hub: no MkDocs imports in this package.

The hooks in ``hooks/*.py`` adapt MkDocs pages to these modules, so the logic
stays testable with plain unit tests and portable beyond MkDocs 1.x.
"""
