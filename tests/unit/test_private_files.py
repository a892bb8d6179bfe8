"""The instance folder and the embedded SQLite database are the service user's alone
(issue 15, item 12): created 0700 and 0600 whatever the umask lets through, so no other
local account reads the ledger or the encrypted personal data."""

from __future__ import annotations

import os
import stat

from sqlalchemy import text


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_instance_folder_and_the_database_are_private(tmp_path) -> None:
    from ownervote.config import default_database_url, load_settings
    from ownervote.db import make_engine
    from ownervote.services.database import upgrade

    old = os.umask(0o022)
    try:
        instance = tmp_path / "var" / "ownervote"
        settings = load_settings({"OWNERVOTE_INSTANCE_DIR": str(instance)})  # dev secrets
        assert _mode(instance) == 0o700
        url = default_database_url(settings.instance_dir)
        upgrade(url)
        database = instance / "ownervote.sqlite3"
        engine = make_engine(url)
        with engine.begin() as conn:  # a write: the WAL file appears beside it
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            assert _mode(database) == 0o600
            for extra in ("-wal", "-shm"):
                if os.path.exists(f"{database}{extra}"):
                    assert _mode(f"{database}{extra}") == 0o600, extra
        engine.dispose()
        # a database file somewhere new: its folder too
        elsewhere = tmp_path / "data" / "ov.sqlite3"
        make_engine(f"sqlite:///{elsewhere}").dispose()
        assert _mode(elsewhere) == 0o600 and _mode(elsewhere.parent) == 0o700
    finally:
        os.umask(old)
