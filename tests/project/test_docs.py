"""The README and docs/ stay true: short front page, its two commands, links and names that exist.

What this trades away: it checks that what the docs point at exists (files, anchors,
``nn_core``/``playground`` names, imports in the Python snippets) and runs the README's
snippet, not that every sentence is still right; the figures are checked by the tests
and benchmarks they cite.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = [README, *DOCS]

MAX_README_LINES = 150
# The two commands a fresh machine needs, exactly as the README's first lines give them.
APP_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
    " && .venv/bin/streamlit run app.py"
)
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt"
    " && .venv/bin/python -m pytest"
)
# Placeholders the docs use on purpose, not paths.
PLACEHOLDERS = {"pages/x.py"}

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HTML_SRC = re.compile(r"""<(?:img|a)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
DOTTED_NAME = re.compile(r"((?:nn_core|playground)(?:\.[A-Za-z_]\w*)+)(?:\(.*\))?")


def prose(path: Path) -> str:
    """The file's text without its fenced code blocks (links and spans there are code)."""
    kept, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    return "\n".join(kept)


def code_blocks(path: Path, language: str) -> list[str]:
    blocks, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if current is None and stripped == f"```{language}":
            current = []
        elif current is not None and stripped == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose(path).splitlines():
        match = re.match(r"#{1,6}\s+(.*)", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def relative_links(path: Path) -> list[str]:
    text = prose(path)
    targets = [m.group(1) for m in LINK.finditer(text)]
    targets += [m.group(1) for m in HTML_SRC.finditer(text)]
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]  # not http:, mailto:


def test_readme_is_a_short_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


def test_readme_starts_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# MLP Playground"
    assert lines[2] == "```bash"
    assert lines[3].startswith("# Set up and run the app")
    assert lines[4] == APP_COMMAND
    assert lines[5].startswith("# Set up and run the tests")
    assert lines[6] == TEST_COMMAND
    assert lines[7] == "```"


def test_ci_runs_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    # CI adds only pip's -q (quiet) to the README's command.
    commands = [line.replace(" -q ", " ") for line in ci if line.startswith("python3 -m venv")]
    assert commands == [TEST_COMMAND]


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, broken


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_paths_in_code_spans_exist(path):
    top_level = {p.name for p in ROOT.iterdir() if p.name != ".git"}
    missing = []
    for span in CODE_SPAN.findall(prose(path)):
        for word in span.split():
            word = word.strip("\"'(),;:")
            first = word.split("/")[0]
            if first not in top_level or word in PLACEHOLDERS:
                continue
            if "/" not in word and "." not in word:
                continue  # a bare word such as `data`, not a path
            if not (ROOT / word).exists():
                missing.append(word)
    assert not missing, missing


def resolve_name(dotted: str):
    """Import the longest module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_modules_and_attributes_exist(path):
    missing = []
    for span in CODE_SPAN.findall(prose(path)):
        match = DOTTED_NAME.fullmatch(span.strip())
        if not match:
            continue
        try:
            resolve_name(match.group(1))
        except (ImportError, AttributeError) as error:
            missing.append(f"{span}: {error}")
    assert not missing, missing


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_snippets_parse_and_their_imports_resolve(path):
    for block in code_blocks(path, "python"):
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    importlib.import_module(alias.name)
            elif isinstance(node, ast.ImportFrom):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if not hasattr(module, alias.name):
                        importlib.import_module(f"{node.module}.{alias.name}")


def test_the_readmes_snippet_runs_and_learns(capsys):
    (block,) = code_blocks(README, "python")
    exec(compile(block, "README.md", "exec"), {})
    accuracy = float(capsys.readouterr().out.split()[-1])
    assert 0.95 <= accuracy <= 1.0, "the README says about 0.98"


def test_readme_and_docs_link_to_each_other():
    readme_links = {(README.parent / t.partition("#")[0]).resolve() for t in relative_links(README)}
    assert not [d.name for d in DOCS if d.resolve() not in readme_links]
    for doc in DOCS:
        back = {(doc.parent / t.partition("#")[0]).resolve() for t in relative_links(doc)}
        assert README.resolve() in back, f"{doc.name} does not link back to the README"


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The link, anchor and name checks fail where they should (else they prove nothing)."""
    page = tmp_path / "page.md"
    page.write_text(
        "# A title: with `code`\n\n[ok](#a-title-with-code) [gone](missing.md) [bad](#nope)\n"
        "```\n[in code](ignored.md)\n```\n",
        encoding="utf-8",
    )
    assert relative_links(page) == ["#a-title-with-code", "missing.md", "#nope"]
    assert anchors(page) == {"a-title-with-code"}
    assert slug("Draw: read, explain, teach") == "draw-read-explain-teach"
    assert resolve_name("nn_core.sweep.split_validation") is not None
    with pytest.raises(AttributeError):
        resolve_name("nn_core.sweep.no_such_name")
    with pytest.raises(ModuleNotFoundError):
        resolve_name("no_such_package.module")
