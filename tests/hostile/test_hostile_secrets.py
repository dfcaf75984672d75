"""Keys never reach an artefact the package writes, and what it writes is private.

``tests/integration/test_secrets_and_errors.py`` already greps the cache files, the
captured log records and exception messages after verify/credits calls. This module
covers the rest: find and enrich answers (FullContact and Dropcontact echo links and
fields into ``raw``), a real DEBUG log file, formatted tracebacks, every CLI command's
stdout/stderr, CLI output files and the Excel template (both zip files, so their
members are searched decompressed), the SQLite WAL and shared-memory files while they
are live, the rate-limit database, and the modes of the cache directory and files.
"""

from __future__ import annotations

import logging
import os
import stat
import traceback
import zipfile
from pathlib import Path

import pytest

from contact_udfs import Client
from contact_udfs.faces.cli.main import main

PROVIDERS = ("dropcontact", "fullcontact", "coldlead")


def artefact_blobs(root: Path) -> dict[str, bytes]:
    """Every file under ``root``; a zip file (xlsx/xlsm) also member by member."""
    blobs: dict[str, bytes] = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        blobs[str(path)] = data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    blobs[f"{path}!{name}"] = zf.read(name)
    return blobs


def cache_files(cache: Path) -> list[Path]:
    base = str(cache)
    names = [base, base + "-wal", base + "-shm", base + ".ratelimit.sqlite",
             base + ".ratelimit.sqlite.lock"]  # fmt: skip
    return [Path(n) for n in names]


@pytest.fixture
def debug_file(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """Every DEBUG record of every logger, written to a file as an app would."""
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "logs" / "debug.log"
    path.parent.mkdir()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def test_no_key_in_any_artefact(sandbox_env, tmp_path, monkeypatch, capsys, caplog, debug_file):
    """Answers of every operation, errors, logs, CLI output and files: 0 key hits."""
    sb = sandbox_env
    keys = list(sb.keys.values())
    cache = tmp_path / "private" / "cache" / "contacts.sqlite"
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(cache))
    monkeypatch.delenv("CONTACT_UDFS_PROVIDERS")
    texts: list[str] = []
    emails = sb.world.sample_emails(12, seed=71)
    people = [
        {k: p[k] for k in ("first_name", "last_name", "domain", "company")}
        for p in sb.world.people()[:6]
    ]
    sb.inject("fullcontact.submit", "lost_response")
    sb.inject("coldlead.verify", "500", html=True)
    sb.inject("dropcontact.poll", "malformed_json")
    open_clients = []
    for provider in PROVIDERS:
        client = Client(providers=provider)
        open_clients.append(client)  # kept open: the WAL is searched while it is live
        answers = client.verify_emails(emails) + client.verify_emails(emails[:1])
        if provider != "fullcontact":
            answers += client.find_emails(people)
        if provider == "dropcontact":
            answers += client.enrich_contacts(people)
        texts += [repr(a) + a.to_json() for a in answers]
        texts += [repr(client), repr(client.provider(provider)), str(client.credits())]
        wrong = Client(providers=provider, environ={
            **os.environ, f"{provider.upper()}_API_KEY": "wrong-" + keys[0]})  # fmt: skip
        with pytest.raises(Exception) as failure:
            wrong.verify_emails(["somebody-new@acme-robotics.com", "other@acme-robotics.com"])
        wrong.close()
        exc = failure.value
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        texts.append(repr(getattr(exc, "payload", None)))

    src = tmp_path / "in.csv"
    src.write_text("email,first_name,last_name,domain\n" + "\n".join(
        f"{e},{p['first_name']},{p['last_name']},{p['domain']}"
        for e, p in zip(emails, people * 2, strict=False)) + "\n")  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    quiet = "--no-progress"
    commands = [
        ["verify", str(src), quiet, "-o", str(out / "v.csv")],
        ["verify", str(src), quiet, "-o", str(out / "v.xlsx")],
        ["verify", str(src), quiet, "--format", "json"],
        ["--providers", "fullcontact", "verify", str(src), quiet, "--format", "csv"],
        ["find", str(src), quiet, "-o", str(out / "f.xlsx")],
        ["--providers", "dropcontact", "enrich", str(src), quiet, "-o", str(out / "e.csv")],
        ["estimate", str(src)], ["credits"], ["cache", "stats"],
        ["cache", "forget", emails[0]], ["template", str(out / "book.xlsm")],
    ]  # fmt: skip
    for args in commands:
        code = main(args)
        printed = capsys.readouterr()
        assert code == 0, (args, printed.err)
        texts += [printed.out, printed.err]
    monkeypatch.setenv("COLDLEAD_API_KEY", "wrong-" + keys[1])
    assert main(["--providers", "coldlead", "verify", str(src), "--no-progress"]) == 4
    texts += list(capsys.readouterr())

    assert all(p.exists() for p in cache_files(cache)), "WAL, SHM and rate-limit files are live"
    blobs = artefact_blobs(tmp_path)
    assert any(name.endswith("book.xlsm!xl/workbook.xml") for name in blobs)
    assert any(name.endswith("v.xlsx!xl/worksheets/sheet1.xml") for name in blobs)
    texts += [caplog.text, debug_file.read_text(encoding="utf-8")]
    assert "apiKey=***" in texts[-1], "the DEBUG log saw FullContact URLs, redacted"
    for client in open_clients:
        client.close()
    for key in keys:
        hits = [name for name, data in blobs.items() if key.encode() in data]
        assert not hits, (key, hits)
        assert not [t for t in texts if key in t], key


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask022", "umask000"])
def test_cache_directory_and_files_are_private(sandbox_env, tmp_path, monkeypatch, umask):
    """A cache directory the package creates is 0700; the cache, its WAL/SHM and the
    rate-limit files are 0600 - whatever the umask."""
    cache = tmp_path / "made" / "by" / "package" / "contacts.sqlite"
    monkeypatch.setenv("CONTACT_UDFS_CACHE", str(cache))
    old = os.umask(umask)
    try:
        with Client(providers="coldlead,fullcontact") as client:
            client.verify_emails(sandbox_env.world.sample_emails(3, seed=72))
            present = [p for p in cache_files(cache) if p.exists()]
            assert len(present) == 5, present
            for path in present:
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old)
    ratelimit_side = [Path(f"{cache}.ratelimit.sqlite{s}") for s in ("-wal", "-shm")]
    for path in (p for p in ratelimit_side if p.exists()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
