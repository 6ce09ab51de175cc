"""Page layout on a phone: the action next to what it changes (Streamlit, CSS only).

Streamlit stacks a page's columns on a screen up to 640 px wide, in their order: the
settings column first, so on a phone the Train button sat about 1,400 px down, below
every setting, and Boundaries' Play two screens above its boundary. The server does
not know the screen's width, so these helpers only add CSS for narrow screens: the
column holding the page's main container comes first (its action buttons, then its
chart), the settings after it, and rows of buttons or metrics wrap three to a line
instead of one. A wide screen's layout is left exactly as it was. Text that names a
place ("the settings on the left") is drawn twice, one version per layout, and CSS
shows the one that is true. What it trades away: the rules select Streamlit's
``data-testid`` attributes and ``st-key-`` classes (its public hooks for styling),
and ``:has()``, which browsers before 2023 lack (they keep the stacked order).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

#: The widths at which Streamlit stacks columns (measured: stacked at 640 px, side by
#: side at 641 px, Streamlit 1.67).
NARROW = "(max-width: 640px)"
WIDE = "(min-width: 641px)"


def _block(key: str) -> str:
    """The container ``key`` as its column lays it out: the wrapper Streamlit puts
    around a keyed container (measured, 1.67), or the container itself."""
    return f"[data-testid='stLayoutWrapper']:has(> .st-key-{key}), .st-key-{key}"


def _style(css: str) -> None:
    st.html(f"<style>{css}</style>")  # style only: Streamlit gives it no room on the page


def main_first_when_narrow(main_key: str, last_keys: tuple[str, ...] = ()) -> None:
    """On a narrow screen: the page column holding the container ``main_key`` comes
    first; inside that container, the containers ``last_keys`` go to its end."""
    last = ", ".join(_block(k) for k in last_keys)
    _style(
        f"@media {NARROW} {{"
        f" [data-testid='stColumn']:has(.st-key-{main_key}) {{ order: -1; }}"
        + (f" {last} {{ order: 1; }}" if last else "")
        + " }"
    )


def settings_and_main(main_key: str, actions_key: str, main_share: float = 2.6):
    """A page's two columns, as Train and Sweep lay them out: the settings in a bordered
    box on the left, the main container ``main_key`` (its row of buttons in the container
    ``actions_key``, then its chart) on the right. On a phone the main column comes first
    and the buttons wrap three to a line. Returns the two containers to draw into."""
    settings_col, main_col = st.columns([1, main_share], gap="large")
    main_first_when_narrow(main_key)
    wrap_rows_when_narrow(actions_key)
    return settings_col.container(border=True), main_col.container(key=main_key)


def wrap_rows_when_narrow(*keys: str, per_line: int = 3) -> None:
    """On a narrow screen, the columns inside the containers ``keys`` (a row of buttons
    or metrics) wrap ``per_line`` to a line instead of stacking one per line."""
    rows = ", ".join(f".st-key-{k} [data-testid='stColumn']" for k in keys)
    share = f"{100 / per_line:.0f}%"
    _style(f"@media {NARROW} {{ {rows} {{ min-width: calc({share} - 1rem); }} }}")


def by_width(key: str, wide: Callable[[], object], narrow: Callable[[], object]) -> None:
    """Draw ``wide()`` for wide screens and ``narrow()`` for narrow ones (both are sent;
    CSS hides the other). ``key`` names the two containers: ``key-wide``, ``key-narrow``."""
    with st.container(key=f"{key}-wide"):
        wide()
    with st.container(key=f"{key}-narrow"):
        narrow()
    _style(
        f"@media {NARROW} {{ {_block(f'{key}-wide')} {{ display: none; }} }}"
        f"@media {WIDE} {{ {_block(f'{key}-narrow')} {{ display: none; }} }}"
    )
