"""The Train settings in the address bar: one table drives the URL.

``/?dataset=digits&hidden=512-512&activation=relu&optimizer=adam&lr=0.003&epochs=30
&batch=32&l2=0&seed=0`` sets the Train page's controls; the same link and **Train**
give the same curves bit for bit (the engine's loop does not depend on machine
speed). Every value is checked against what the controls offer; a bad or
out-of-range one falls back to the default with a short note, never an error.

``QUERY_FIELDS`` is the table: URL name -> (config field, parser, formatter).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from playground.common import vocab
from playground.common.i18n import _

#: The per-tab token that keys the server-side session store (see ``sessions``).
SESSION_PARAM = "sid"
#: The tab's language (``zh`` or ``en``), on every page's link (see ``i18n``).
LANG_PARAM = "lang"
MAX_SEED = 2**31 - 1


def choice(options: tuple) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if text not in options:
            raise ValueError(_("one of {options}").format(options=", ".join(options)))
        return text

    return parse


def number_in(options: tuple[float, ...]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        # ASCII only: float() would also read other scripts' digits ("６４").
        try:
            value = float(text) if re.fullmatch(r"[0-9.eE+-]{1,30}", text) else math.nan
        except ValueError:  # "1e", "--1"
            value = math.nan
        for option in options:
            if math.isclose(value, option, rel_tol=1e-9, abs_tol=1e-15):
                return option
        raise ValueError(_("one of {options}").format(options=", ".join(f"{o:g}" for o in options)))

    return parse


def int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,10}", text) or not low <= int(text) <= high:
            raise ValueError(_("a whole number from {low} to {high}").format(low=low, high=high))
        return int(text)

    return parse


def _hidden(text: str) -> tuple[int, ...]:
    parts = text.split("-")
    if not 1 <= len(parts) <= vocab.MAX_HIDDEN_LAYERS or not all(re.fullmatch(r"[0-9]{1,4}", p) for p in parts):
        raise ValueError(_("1 to {max_layers} layer sizes joined by '-', e.g. 64-32").format(
            max_layers=vocab.MAX_HIDDEN_LAYERS))
    sizes = tuple(int(p) for p in parts)
    if any(s not in vocab.LAYER_SIZES for s in sizes):
        raise ValueError(_("layer sizes from {sizes}").format(sizes=", ".join(map(str, vocab.LAYER_SIZES))))
    return sizes


def _dataset(text: str) -> str:

    names = vocab.dataset_names()
    if text not in names:
        raise ValueError(_("one of {options}").format(options=", ".join(names)))
    return text


def as_int(parse: Callable[[str], float]) -> Callable[[str], int]:
    return lambda text: int(parse(text))


@dataclass(frozen=True)
class QueryField:
    config_field: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str]


QUERY_FIELDS: dict[str, QueryField] = {
    "dataset": QueryField("dataset", _dataset, str),
    "hidden": QueryField("hidden", _hidden, lambda h: "-".join(map(str, h))),
    "activation": QueryField("activation", choice(vocab.ACTIVATIONS), str),
    "optimizer": QueryField("optimizer", choice(vocab.OPTIMIZERS), str),
    "lr": QueryField("learning_rate", number_in(vocab.LEARNING_RATES), lambda v: f"{v:g}"),
    "epochs": QueryField("epochs", int_between(1, vocab.MAX_EPOCHS), str),
    "batch": QueryField("batch_size", as_int(number_in(tuple(float(b) for b in vocab.BATCH_SIZES))),
                        lambda v: str(int(v))),
    "l2": QueryField("l2", number_in(vocab.L2_VALUES), lambda v: f"{v:g}"),
    "seed": QueryField("seed", int_between(0, MAX_SEED), str),
}
assert {f.config_field for f in QUERY_FIELDS.values()} == {f.name for f in fields(vocab.TrainConfig)}


def read_query(
    params: Mapping[str, Any], defaults: Any, table: Mapping[str, QueryField]
) -> tuple[Any, list[str]]:
    """The settings a link asks for, read through ``table`` over ``defaults`` (a frozen
    dataclass), and a note per value that was refused. Missing parameters keep
    ``defaults``; unknown ones are ignored. Any page's settings can use this."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for name, spec in table.items():
        raw = params.get(name)
        if raw is None:
            continue
        text = str(raw if not isinstance(raw, list) else raw[-1]).strip()[:100]
        try:
            value = spec.parse(text)
        except ValueError as exc:
            shown = spec.format(getattr(defaults, spec.config_field))
            notes.append(_("`{name}={value}` isn't valid (use {allowed}); kept {name}={kept}.").format(
                name=name, value=text[:30], allowed=exc, kept=shown))
            continue
        changes[spec.config_field] = value
    return replace(defaults, **changes), notes


def write_query(config: Any, table: Mapping[str, QueryField]) -> dict[str, str]:
    """The URL parameters that reproduce ``config`` through ``table``."""
    return {name: spec.format(getattr(config, spec.config_field)) for name, spec in table.items()}


def config_from_query(
    params: Mapping[str, Any], defaults: vocab.TrainConfig | None = None
) -> tuple[vocab.TrainConfig, list[str]]:
    """The Train config a link asks for, and a note per value that was refused.

    Missing parameters keep ``defaults``; unknown ones are ignored.
    """
    return read_query(params, defaults or vocab.TrainConfig(), QUERY_FIELDS)


def config_to_query(config: vocab.TrainConfig) -> dict[str, str]:
    """The URL parameters that reproduce ``config``."""
    return write_query(config, QUERY_FIELDS)


def share_link(base_url: str | None, config: vocab.TrainConfig, lang: str | None = None) -> str:
    """A link that opens the Train page with ``config``'s settings (and no session token),
    in ``lang`` if given."""
    from urllib.parse import urlencode

    base = (base_url or "http://localhost:8501").split("?")[0].rstrip("/")
    query = config_to_query(config) | ({LANG_PARAM: lang} if lang else {})
    return f"{base}/?{urlencode(query)}"
