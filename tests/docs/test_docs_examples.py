"""The documentation's examples run, so they cannot rot.

Every fenced ``python`` block of README.md and docs/*.md is executed, in order,
one namespace per file; a block whose code starts with ``>>>`` is run as a
doctest (its printed output must match). Fenced ``bash`` blocks whose first
command starts with ``contact-udfs `` are run through
:func:`contact_udfs.faces.cli.main.main` and must exit 0. A block right after an
``<!-- no-test -->`` HTML comment is skipped (Excel-only snippets, real vendor
keys, a server that runs until Ctrl+C).

The examples run against the simulator of the three vendors, with a private
cache and sample input files: see ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import doctest
import inspect
import io
import pydoc
import re
import shlex
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import contact_udfs
from contact_udfs.config import load_settings
from contact_udfs.faces.cli.main import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NO_TEST = "<!-- no-test -->"
_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
#: blocks of pages maintained elsewhere that cannot run as written (they use names defined
#: nowhere): path -> text identifying the block. They belong behind ``<!-- no-test -->``
#: in their own page; an entry that no longer matches anything is simply unused.
NOT_RUNNABLE: dict[str, tuple[str, ...]] = {}
#: pages being written alongside these ones: a link to them is fine while they are missing
IN_PROGRESS: set[str] = set()
_LINK = re.compile(r"\]\((?!https?://|mailto:)(?P<target>[^)#\s]*)(?:#(?P<anchor>[^)\s]*))?\)")


def _name(path: Path) -> str:
    """``path`` relative to the repository (as written in messages and the tables above)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass(frozen=True)
class Block:
    """One fenced block of a Markdown file."""

    path: Path
    #: 1-based line of the first line of code (the line after the opening fence)
    line: int
    lang: str
    code: str
    skipped: bool

    @property
    def where(self) -> str:
        return f"{_name(self.path)}:{self.line}"

    @property
    def commands(self) -> list[str]:
        """The non-empty, non-comment lines of a shell block."""
        lines = (raw.strip() for raw in self.code.splitlines())
        return [line for line in lines if line and not line.startswith("#")]

    @property
    def runnable(self) -> bool:
        known = NOT_RUNNABLE.get(_name(self.path), ())
        if self.skipped or any(text in self.code for text in known):
            return False
        if self.lang in ("python", "py", "pycon"):
            return True
        if self.lang in ("bash", "sh", "shell", "console"):
            return bool(self.commands) and self.commands[0].startswith("contact-udfs ")
        return False


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of ``path``, with whether ``<!-- no-test -->`` precedes them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    previous = ""
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if not match:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence) and lines[j].strip().strip(fence[0]) == ""
        ):
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        found.append(Block(path, i + 2, match["lang"].lower(), "\n".join(body) + "\n",
                           previous == NO_TEST))  # fmt: skip
        previous = ""
        i = j + 1
    return found


def run_python(block: Block, namespace: dict[str, Any]) -> None:
    if block.code.lstrip().startswith(">>>"):
        run_doctest(block, namespace)
        return
    # padded so that tracebacks point at the line of the Markdown file
    code = compile("\n" * (block.line - 1) + block.code, str(block.path), "exec")
    try:
        exec(code, namespace)
    except Exception:
        pytest.fail(f"{block.where}: the example failed:\n{traceback.format_exc()}")


def run_doctest(block: Block, namespace: dict[str, Any]) -> None:
    test = doctest.DocTestParser().get_doctest(
        block.code, namespace, block.where, str(block.path), block.line - 1
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    result = runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # DocTest works on a copy: later blocks see its names
    if result.failed:
        pytest.fail(f"{block.where}: the example's output differs:\n{report.getvalue()}")


def run_shell(block: Block) -> None:
    for command in block.commands:
        if not command.startswith("contact-udfs "):
            pytest.fail(
                f"{block.where}: a tested shell block holds only contact-udfs commands; "
                f"got {command!r} (mark the block {NO_TEST} or split it)"
            )
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli_main(shlex.split(command, comments=True)[1:])
            except SystemExit as exc:  # argparse refusing the command line
                code = exc.code
        if code != 0:
            pytest.fail(
                f"{block.where}: `{command}` exited {code}\n"
                f"stdout:\n{out.getvalue()}\nstderr:\n{err.getvalue()}"
            )


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_run(path: Path, docs_env: Any) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in blocks(path):
        if not block.runnable:
            continue
        if block.lang in ("python", "py", "pycon"):
            run_python(block, namespace)
        else:
            run_shell(block)


def test_block_parser(tmp_path: Path) -> None:
    text = (
        "intro\n\n```python\nx = 1\n```\n\n<!-- no-test -->\n```bash\ncontact-udfs sandbox\n```\n"
        "\n```bash\ncontact-udfs credits   # free\n```\n\n```toml\nbudget = 5\n```\n"
    )
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    got = blocks(path)
    assert [(b.lang, b.line, b.skipped, b.runnable) for b in got] == [
        ("python", 4, False, True),
        ("bash", 9, True, False),
        ("bash", 13, False, True),
        ("toml", 17, False, False),
    ]
    assert got[2].commands == ["contact-udfs credits   # free"]


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_toml_examples_load(path: Path, tmp_path: Path) -> None:
    """Every config file shown in the documentation is one the package accepts."""
    for n, block in enumerate(b for b in blocks(path) if b.lang == "toml"):
        config = tmp_path / f"example-{n}.toml"
        config.write_text(block.code, encoding="utf-8")
        try:
            load_settings(environ={}, config_file=config)
        except Exception as exc:
            pytest.fail(f"{block.where}: the config file example is refused: {exc}")


def anchors(path: Path) -> set[str]:
    """The heading anchors GitHub makes for ``path`` (lower case, punctuation dropped)."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        base, n = slug, 1
        while slug in found:
            slug, n = f"{base}-{n}", n + 1
        found.add(slug)
    return found


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_exist(path: Path) -> None:
    """Links to other files of the repository, and to their headings, lead somewhere."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    for match in _LINK.finditer(text):
        target = (path.parent / match["target"]).resolve() if match["target"] else path
        name = str(target.relative_to(ROOT))
        if name in IN_PROGRESS and not target.exists():
            continue
        assert target.exists(), f"{path.relative_to(ROOT)} links to missing {match['target']}"
        if match["anchor"] and target.suffix == ".md":
            assert match["anchor"] in anchors(target), (
                f"{path.relative_to(ROOT)} links to {name}#{match['anchor']}, "
                "which is not a heading there"
            )


# -- the API reference that pydoc shows -----------------------------------------------------------


def test_pydoc_renders_the_package() -> None:
    text = pydoc.render_doc(contact_udfs, renderer=pydoc.plaintext)
    assert "never pays twice" in text
    for name in ("Client", "verify_emails", "find_emails", "enrich_contacts", "estimate"):
        assert name in text


@pytest.mark.parametrize("name", [n for n in contact_udfs.__all__ if n != "__version__"])
def test_public_names_have_docstrings(name: str) -> None:
    obj = getattr(contact_udfs, name)
    doc = inspect.getdoc(obj)  # what help() and pydoc show, inherited text included
    assert doc and doc.strip(), f"contact_udfs.{name} has no docstring"
    pydoc.render_doc(obj, renderer=pydoc.plaintext)


def test_version_is_a_string() -> None:
    assert isinstance(contact_udfs.__version__, str) and contact_udfs.__version__
