"""voting.store: assemblies, their items, documents and proxies as stored (SQLAlchemy).

The rules engine (the rest of :mod:`voting`) never imports this package.
"""
