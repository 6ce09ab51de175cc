"""The house's rooms, checked: the import rules of ``playground/__init__.py`` and no
library private names.

The rules walk every import statement with ``ast`` (function-level imports and
relative imports included), so a rule that is only written down cannot decay. Each
rule is also shown to fail: ``test_each_rule_catches_its_break`` builds a small tree
in a temporary folder with one deliberate break per rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("train", "inspect", "draw", "boundaries", "sweep", "learn")
#: Which feature each page belongs to (a page imports its own feature only).
PAGE_FEATURE = {
    "train": "train", "draw": "draw", "inspect": "inspect", "boundaries": "boundaries",
    "sweep": "sweep", "backprop": "learn", "optimizers": "learn", "fix_tutorial": "learn",
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(root: Path, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in ``path``, at any depth; ``from a
    import b`` gives ``a.b`` (b may be a module or a name: both start with ``a``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(root, path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def room_of(module: str) -> str:
    """The room a project module lives in: nn_core, common, shell, a feature, a page,
    app, playground (the package's own __init__), or "" for a library."""
    parts = module.split(".")
    if parts[0] == "nn_core":
        return "nn_core"
    if parts[0] == "playground":
        return parts[1] if len(parts) > 1 else "playground"
    if parts[0] == "pages":
        return "page:" + (parts[1] if len(parts) > 1 else "")
    if parts[0] == "app":
        return "app"
    return ""


def broken_rule(source: str, target: str) -> str | None:
    """The rule ``source`` importing ``target`` breaks, or None (both are module names)."""
    src, dst = room_of(source), room_of(target)
    top = target.split(".")[0]
    if src == "nn_core" and (dst not in ("nn_core", "") or top in ("streamlit", "plotly")):
        return "1: nn_core never imports playground, pages, streamlit or plotly"
    if top == "streamlit" and target.startswith("streamlit.runtime") and src != "shell":
        return "6: only shell touches streamlit.runtime"
    if src == "common" and (dst not in ("common", "nn_core", "") or top == "streamlit"):
        return "2: common imports only nn_core and libraries, never streamlit"
    if src == "shell" and dst not in ("shell", "common", ""):
        return "3: shell imports only common"
    if src in FEATURES and dst not in (src, "common", "shell", "nn_core", ""):
        return "4: a feature imports common and shell, never another feature"
    if src.startswith("page:"):
        own = PAGE_FEATURE.get(src[5:])
        if dst not in ("common", "shell", own, ""):
            return "5: a page imports shell, common and its own feature, never nn_core"
    if src == "app" and dst not in ("shell", ""):
        return "app.py routes: it imports shell only"
    if src == "playground" and dst != "":
        return "playground/__init__.py is the map: it imports nothing"
    return None


def project_files(root: Path) -> list[Path]:
    files = [*root.glob("nn_core/**/*.py"), *root.glob("playground/**/*.py"),
             *root.glob("pages/*.py")]
    if (root / "app.py").exists():
        files.append(root / "app.py")
    return sorted(files)


def violations(root: Path) -> list[str]:
    out = []
    for path in project_files(root):
        source = module_name(root, path)
        for line, target in imports_of(root, path):
            rule = broken_rule(source, target)
            if rule:
                out.append(f"{path.relative_to(root)}:{line} imports {target}: rule {rule}")
    return out


def test_the_project_keeps_every_import_rule():
    assert violations(ROOT) == []


def test_every_feature_and_shared_floor_is_a_package():
    for room in ("common", "shell", *FEATURES):
        assert (ROOT / "playground" / room / "__init__.py").is_file(), room
    # Pages are thin and feature-owned: every page file maps to its feature.
    assert sorted(p.stem for p in ROOT.glob("pages/*.py")) == sorted(PAGE_FEATURE)


BREAKS = {
    "nn_core/bad.py": ("import streamlit\n", "1:"),
    "nn_core/worse.py": ("def f():\n    from playground.common import vocab\n", "1:"),
    "playground/common/bad.py": ("import streamlit as st\n", "2:"),
    "playground/common/worse.py": ("from playground.shell import ui\n", "2:"),
    "playground/shell/bad.py": ("from playground.train import view\n", "3:"),
    "playground/shell/worse.py": ("from nn_core import MLP\n", "3:"),
    "playground/draw/bad.py": ("def f():\n    from playground.train import figures\n", "4:"),
    "playground/draw/worse.py": ("from ..train import view\n", "4:"),
    "pages/draw.py": ("from nn_core.drawings import preprocess\n", "5:"),
    "pages/inspect.py": ("from playground.draw import drawing\n", "5:"),
    "playground/learn/bad.py": ("from streamlit.runtime.scriptrunner import x\n", "6:"),
}


def test_each_rule_catches_its_break(tmp_path):
    """One deliberate break per rule, in a tree of the project's shape: each is found."""
    for relative, (code, _) in BREAKS.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.parents:
            if parent == tmp_path or parent.name == "pages":
                break
            (parent / "__init__.py").touch()
        path.write_text(code)
    # A legal import of each kind, which must pass.
    (tmp_path / "playground/draw/good.py").write_text(
        "import numpy\nfrom nn_core import MLP\nfrom playground.common import vocab\n"
        "from playground.shell import ui\nfrom . import bad\n"
    )
    (tmp_path / "pages/train.py").write_text("from playground.train import view\n")
    (tmp_path / "playground/shell/good.py").write_text("import streamlit.runtime\n")
    found = violations(tmp_path)
    for relative, (_, rule) in BREAKS.items():
        mine = [v for v in found if v.startswith(relative + ":")]
        assert len(mine) == 1 and f"rule {rule}" in mine[0], (relative, found)
    assert len(found) == len(BREAKS), found


# --------------------------------------------------------------------------- private names

#: Underscore names that are documented public API (reviewed): ``os._exit`` ends a
#: worker process without running the parent's exit handlers.
DOCUMENTED = {"os._exit"}


def private_uses(path: Path) -> list[str]:
    """Private names reached from outside their own module.

    ``x._name`` is allowed on ``self``/``cls``/``super()`` and when ``_name`` is
    defined in this same file (an attribute it assigns, or a function/class it
    defines): a module may use its own private names. ``from lib import _name`` and
    ``lib._module`` paths are never allowed."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            own.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if isinstance(base, ast.Call) and getattr(base.func, "id", "") == "super":
                continue
            if node.attr not in own and ast.unparse(node) not in DOCUMENTED:
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.Call):
            found += [f"{path.name}:{node.lineno} {k.arg}= (a private keyword)"
                      for k in node.keywords if k.arg and k.arg.startswith("_")]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                # ``_`` alone is gettext's public, documented alias (the Python docs' gettext
                # chapter: ``_ = gettext.gettext``); ``_x`` names are private.
                private_name = (alias.name.startswith("_") and not alias.name.startswith("__")
                                and alias.name != "_")
                if private_name or any(p.startswith("_") and not p.startswith("__") for p in module.split(".")):
                    found.append(f"{path.name}:{node.lineno} from {module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if any(p.startswith("_") and not p.startswith("__") for p in alias.name.split(".")):
                    found.append(f"{path.name}:{node.lineno} import {alias.name}")
    return found


def test_no_private_names_of_libraries_or_other_modules():
    found = [use for path in project_files(ROOT) for use in private_uses(path)]
    assert found == []


def test_the_private_name_check_catches_a_library_internal(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import plotly.graph_objects as go\n"
        "from streamlit.runtime.pages_manager import _x\n"
        "def f(fig, executor, net):\n"
        "    fig._frame_objs = go.Figure({}, _validate=False)\n"
        "    return executor._processes, net._theta\n"
        "class A:\n"
        "    def g(self):\n"
        "        self._mine = 1\n"
        "        return self._mine, super()._hidden\n"
    )
    found = sorted(f.split(" ", 1)[1] for f in private_uses(bad))
    assert found == sorted([
        "fig._frame_objs", "_validate= (a private keyword)", "executor._processes",
        "net._theta", "from streamlit.runtime.pages_manager import _x",
    ])


@pytest.mark.parametrize("page", sorted(PAGE_FEATURE))
def test_pages_stay_under_250_lines(page):
    lines = (ROOT / "pages" / f"{page}.py").read_text(encoding="utf-8").count("\n")
    assert lines < 250, f"pages/{page}.py has {lines} lines: move logic into its feature"
