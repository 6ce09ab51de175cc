"""The JavaScript that the app's canvas components share (``panel_kit.js``): making a
panel's root, finding a mounted panel's state again, and placing its tooltip. Each
component prepends it to its own module body, so the two stay separate files without
writing these twice; the price is a few global function names in each module.
"""

from __future__ import annotations

from pathlib import Path

#: ``panelRoot(parent, className, html)``, ``mountedPanel(component, rootClass, stateKey,
#: build)`` and ``tipShower(tip, root, keepInside)``.
JS = Path(__file__).with_name("panel_kit.js").read_text(encoding="utf-8")
