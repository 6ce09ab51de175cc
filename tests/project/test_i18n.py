"""Translation, checked: every user-facing string that reaches a Streamlit call in
``pages/`` and the features is marked for the catalogue, and the Chinese catalogue
has every marked message, translated, not fuzzy, compiled.

The first check walks the code with ``ast``: a string literal or f-string given to a
Streamlit element (its label, body, ``help=``, ...) must be wrapped in ``_()`` (or
``ngettext``/``pgettext``), or be one of :data:`REVIEWED`. An f-string can't be a
catalogue message at all (its text changes), so one that reaches a call is always a
failure. ``test_the_marking_check_fails_on_a_deliberate_fixture`` shows it failing.
The second extracts the messages afresh with Babel (``babel.cfg``), as
``scripts/i18n.py`` does, and compares them with the catalogue.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("train", "inspect", "draw", "boundaries", "sweep", "learn", "shell")
PO = ROOT / "playground" / "locale" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

#: Streamlit elements whose text a person reads, and which arguments carry it.
ELEMENTS = {
    "title", "header", "subheader", "caption", "markdown", "write", "text", "info", "warning",
    "error", "success", "toast", "button", "download_button", "metric", "selectbox", "slider",
    "select_slider", "radio", "checkbox", "toggle", "number_input", "text_input",
    "file_uploader", "expander", "spinner", "progress", "popover", "segmented_control",
    "pills", "multiselect", "link_button", "text_area",
}
TEXT_KEYWORDS = {"label", "help", "placeholder", "text", "body", "caption", "delta", "value"}
MARKERS = {"_", "ngettext", "pgettext"}
#: Reviewed exceptions: (file, the literal) shown as it is in both languages.
REVIEWED = {
    # The language switch names both languages, so either reader finds it.
    ("playground/shell/ui.py", "语言 · Language"),
    # "L2": the regulariser's name, the same in Chinese texts (and the tutorial's notation).
    ("playground/train/settings.py", "L2"),
    ("playground/boundaries/controls.py", "L1"),
    ("playground/boundaries/controls.py", "L2"),
    # The Boundaries network's +/− buttons (symbols).
    ("playground/boundaries/controls.py", "+"),
    ("playground/boundaries/controls.py", "−"),
}


def is_text(node: ast.AST) -> bool:
    """A literal a person would read: letters, not a pure number format or a symbol."""
    if isinstance(node, ast.JoinedStr):  # words in it: a message that can't be looked up
        return any(isinstance(v, ast.Constant) and any(c.isalpha() for c in v.value)
                   for v in node.values)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and any(
        c.isalpha() for c in node.value)


def unmarked(path: Path, root: Path = ROOT) -> list[str]:
    """Every string literal or f-string in ``path`` that reaches a Streamlit element's text
    without ``_()``, as ``file:line: text``; reviewed exceptions left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ELEMENTS):
            continue
        if isinstance(node.func.value, ast.Name) and node.func.value.id in ("log", "logging"):
            continue
        args = list(node.args[:3] if node.func.attr == "metric" else node.args[:1])
        args += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for arg in args:
            # Look through a conditional: ``_("Resume") if paused else _("Pause")``.
            for leaf in (arg.body, arg.orelse) if isinstance(arg, ast.IfExp) else (arg,):
                if not is_text(leaf):
                    continue
                shown = leaf.value if isinstance(leaf, ast.Constant) else ast.unparse(leaf)
                if (rel, shown) in REVIEWED:
                    continue
                found.append(f"{rel}:{leaf.lineno}: {shown[:70]!r}")
    return found


def project_files(root: Path = ROOT) -> list[Path]:
    files = sorted((root / "pages").glob("*.py"))
    for feature in FEATURES:
        files += sorted((root / "playground" / feature).glob("*.py"))
    return files


def test_every_string_reaching_a_streamlit_call_is_marked_for_translation():
    found = [line for path in project_files() for line in unmarked(path)]
    assert found == [], "unmarked user-facing strings:\n" + "\n".join(found)


def test_the_reviewed_exceptions_are_few_and_all_still_in_the_code():
    assert len(REVIEWED) <= 8
    for rel, text in REVIEWED:
        assert repr(text)[1:-1] in (ROOT / rel).read_text(encoding="utf-8") or text in (
            ROOT / rel).read_text(encoding="utf-8"), (rel, text)


def test_the_marking_check_fails_on_a_deliberate_fixture(tmp_path):
    page = tmp_path / "pages" / "demo.py"
    page.parent.mkdir()
    page.write_text(
        "import streamlit as st\n"
        "from playground.common.i18n import _\n"
        "n = 3\n"
        "st.title('Untranslated title')\n"                              # caught
        "st.caption(_('Marked caption'))\n"                             # fine
        "st.button(_('Go'), help=f'Runs {n} times')\n"                  # caught (f-string)
        "col = st.columns(2)[0]\n"
        "col.metric(_('Loss'), '0.3', delta='better than before')\n"    # caught (delta)
        "st.toggle(_('On') if n else 'Off')\n"                          # caught (one branch)
        "st.latex(r'\\\\frac{a}{b}')\n",                                # maths: not checked
        encoding="utf-8",
    )
    found = unmarked(page, tmp_path)
    assert [line.split(":")[1] for line in found] == ["4", "6", "8", "9"]


# --------------------------------------------------------------------------- the catalogue


@pytest.fixture(scope="module")
def catalogue():
    read_po = pytest.importorskip("babel.messages.pofile").read_po
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans")


@pytest.fixture(scope="module")
def extracted() -> dict:
    """The messages the code marks now: Babel's extraction with the project's babel.cfg."""
    frontend = pytest.importorskip("babel.messages.frontend")
    extract = pytest.importorskip("babel.messages.extract")
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = frontend.parse_mapping_cfg(handle)
    found = {}
    for _filename, _lineno, message, _comments, context in extract.extract_from_dir(
        str(ROOT), method_map, options_map, keywords=extract.DEFAULT_KEYWORDS
    ):
        key = message[0] if isinstance(message, tuple) else message
        found[(context, key)] = message
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_chinese_catalogue_has_every_message_translated_and_none_fuzzy(catalogue, extracted):
    assert len(extracted) > 700
    in_catalogue = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m
                    for m in catalogue if m.id}
    missing = sorted(str(key[1])[:80] for key in extracted if key not in in_catalogue)
    assert missing == [], "not in the catalogue (run python scripts/i18n.py):\n" + "\n".join(missing)
    fuzzy = [str(m.id)[:80] for m in in_catalogue.values() if m.fuzzy]
    assert fuzzy == []
    untranslated = [str(m.id)[:80] for m in in_catalogue.values()
                    if not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    assert untranslated == []
    # No message the code no longer has (they would hide a typo's twin).
    stale = sorted(str(key[1])[:80] for key in in_catalogue if key not in extracted)
    assert stale == []


def test_every_translation_keeps_to_its_messages_placeholders(catalogue):
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = set().union(*(fields(i) for i in ids))
        for text in strings:
            if not fields(text) <= allowed:  # an unknown name would be a KeyError on screen
                wrong.append((ids[0][:60], fields(text) - allowed))
    assert wrong == []


def test_the_committed_mo_is_the_compiled_po(catalogue):
    import gettext

    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    differ = []
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            got = compiled.ngettext(message.id[0], message.id[1], 1)
            want = message.string[0]
        elif message.context:
            got, want = compiled.pgettext(message.context, message.id), message.string
        else:
            got, want = compiled.gettext(message.id), message.string
        if got != want:
            differ.append(message.id)
    assert differ == [], "the .mo is out of date: run python scripts/i18n.py compile"
