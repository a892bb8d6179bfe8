"""One module per ``ownervote`` command; imported lazily by ``ownervote.cli``."""
