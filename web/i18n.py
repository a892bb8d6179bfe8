"""Simplified Chinese first, English by switch (Flask-Babel).

Messages are written in English in code and templates (``_()``); the
``zh_Hans_CN`` catalog gives the Chinese the pages show by default.  The
catalog is kept as one ``.po`` file per area of the site in
``web/translations/zh_Hans_CN/`` (so people working on different pages do not
edit the same file); at start-up they are merged and compiled into the
instance folder's ``translations`` directory, where Flask-Babel reads them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel

SUPPORTED = {"zh": "zh_Hans_CN", "en": "en"}
SOURCE_DIR = Path(__file__).with_name("translations")
CHINESE = "zh_Hans_CN"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in SUPPORTED:
        return SUPPORTED[chosen]
    return CHINESE


def current_lang() -> str:
    return "en" if select_locale() == "en" else "zh"


def merged_catalog(locale: str = CHINESE) -> Catalog:
    """All ``.po`` fragments of ``locale`` in one catalog; a msgid twice must agree."""
    merged = Catalog(locale=locale, domain="messages")
    for path in sorted((SOURCE_DIR / locale).glob("*.po")):
        with path.open("rb") as fh:
            fragment = read_po(fh, locale=locale)
        for message in fragment:
            if not message.id:
                continue
            existing = merged.get(message.id, message.context)
            if existing is not None and existing.string and message.string \
                    and existing.string != message.string:
                raise ValueError(
                    f"{path.name}: {message.id!r} is translated differently in another fragment"
                )
            if existing is None or not existing.string:
                merged[message.id] = message
    return merged


def compile_catalogs(target: Path) -> Path:
    """Compile the merged catalogs into ``target`` (skipped when nothing changed)."""
    for locale in (CHINESE,):
        sources = sorted((SOURCE_DIR / locale).glob("*.po"))
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
        out_dir = target / locale / "LC_MESSAGES"
        stamp = out_dir / "messages.sha256"
        if stamp.exists() and stamp.read_text() == digest and (out_dir / "messages.mo").exists():
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        # Write then rename: several workers may compile at once.
        fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".mo")
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, merged_catalog(locale))
        os.replace(tmp, out_dir / "messages.mo")
        stamp.write_text(digest)
    return target


def init_app(app: Flask) -> None:
    settings = app.config["OWNERVOTE"]
    directory = compile_catalogs(Path(settings.instance_dir) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["current_lang"] = current_lang
