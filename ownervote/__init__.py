"""ownervote: the shell around the domain packages.

``ownervote.db`` (the SQLAlchemy base and engine set-up) and
``ownervote.config`` (settings from the environment) are imported by the
domain packages' storage modules; ``ownervote.cli`` is the console script.
Nothing here imports Flask at module level.
"""

# The one place the version is written: pyproject.toml reads it (dynamic version), so do
# ``ownervote --version``, every exported audit bundle (producer.json) and the record
# page's ``pip install 'ownervote==…'``.
__version__ = "0.1.0"
