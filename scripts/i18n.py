"""The translation catalogue, kept with Babel: extract the marked messages, merge them into
the Chinese catalogue, compile it.

    python scripts/i18n.py            # extract + update + compile (the usual after editing text)
    python scripts/i18n.py extract    # playground/locale/messages.pot from the code (babel.cfg)
    python scripts/i18n.py update     # merge the .pot into zh_Hans/LC_MESSAGES/messages.po
    python scripts/i18n.py compile    # messages.po -> messages.mo (the app reads the .mo)
    python scripts/i18n.py check      # exit 1 if a message is untranslated or fuzzy

New messages arrive in the .po untranslated; a changed English message arrives fuzzy
(Babel's guess from the old one). Translate them, drop the ``fuzzy`` flag, then
compile: ``tests/project/test_i18n.py`` fails while any message is missing or fuzzy,
or while the committed .mo differs from the .po. Needs Babel (requirements-dev.txt);
the app itself reads the .mo with the standard library.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from babel.messages.frontend import CommandLineInterface  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

from playground.common.i18n import CATALOGUE_LOCALES, DOMAIN, LOCALE_DIR  # noqa: E402

POT = LOCALE_DIR / f"{DOMAIN}.pot"


def babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> None:
    babel("extract", "-F", str(ROOT / "babel.cfg"), "-o", str(POT), "--no-location",
          "--sort-output", "--project", "MLP Playground", "--copyright-holder",
          "MLP Playground", "--width", "100", str(ROOT))
    # Babel guesses "python-format" from a "%" ("97% of the digits"); this app formats with
    # str.format only, and the guess makes `compile` check %-placeholders that aren't there.
    with POT.open("rb") as handle:
        template = read_po(handle)
    for message in template:
        message.flags.discard("python-format")
    with POT.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False)


def update() -> None:
    for locale in CATALOGUE_LOCALES.values():
        if not (LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").exists():
            babel("init", "-i", str(POT), "-d", str(LOCALE_DIR), "-D", DOMAIN, "-l", locale,
                  "--no-wrap")
            continue
        babel("update", "-i", str(POT), "-d", str(LOCALE_DIR), "-D", DOMAIN, "-l", locale,
              "--width", "100", "--ignore-obsolete", "--previous")


def compile_() -> None:
    """``pybabel compile`` without its %-format check: Babel reads "97% of" as a
    %-placeholder; the app's placeholders are ``{name}`` (``tests/project/test_i18n.py``
    checks those). Fuzzy messages are left out, as ``pybabel compile`` does."""
    for locale in CATALOGUE_LOCALES.values():
        folder = LOCALE_DIR / locale / "LC_MESSAGES"
        with (folder / f"{DOMAIN}.po").open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        with (folder / f"{DOMAIN}.mo").open("wb") as handle:
            write_mo(handle, catalogue)
        print(f"compiled {locale}: {sum(1 for m in catalogue if m.id and m.string)} messages")


def problems() -> list[str]:
    """Every message of every catalogue that is untranslated or fuzzy."""
    found = []
    for locale in CATALOGUE_LOCALES.values():
        path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        for message in catalogue:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                found.append(f"{locale}: {'fuzzy' if message.fuzzy else 'untranslated'}: "
                             f"{message.id!r}")
    return found


def main(argv: list[str]) -> int:
    steps = argv or ["extract", "update", "compile"]
    for step in steps:
        if step == "extract":
            extract()
        elif step == "update":
            update()
        elif step == "compile":
            compile_()
        elif step == "check":
            found = problems()
            print("\n".join(found) or "every message is translated")
            return 1 if found else 0
        else:
            print(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
