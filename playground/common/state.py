"""Per-session state: one :class:`Playground` object in ``st.session_state``.

Everything a browser tab owns lives here (its model, its runs, its canvas), never
in module globals, so several tabs can use the app at once. The helpers take any
``MutableMapping`` so tests can pass a plain dict instead of ``st.session_state``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from playground.common import i18n, sessions
from playground.common.diagnosis import is_at_chance
from playground.common.i18n import _
from playground.common.models import ActiveModel
from playground.common.runs import RunRecord, TrainingRun
from playground.common.urlstate import (
    LANG_PARAM,
    SESSION_PARAM,
    config_from_query,
    config_to_query,
)
from playground.common.vocab import DIVERGED, PAUSED, RUNNING, TrainConfig

STATE_KEY = "playground"
# Test hook: an RGBA array (H, W, 4) put here is read by the Draw page whenever the
# canvas component returns no image (AppTest can't drive the custom component).
TEST_DRAWING_KEY = "playground_test_drawing"
MAX_RUNS_KEPT = 20
#: One tab's page runs can overlap in two threads (see ``TrainingRun``): a run that ends
#: in one while a Stop records it in the other is kept once.
_runs_lock = threading.Lock()


@dataclass
class Playground:
    """The state of one browser session."""

    config: TrainConfig = field(default_factory=TrainConfig)
    run: TrainingRun | None = None
    runs: list[RunRecord] = field(default_factory=list)
    model: ActiveModel | None = None
    canvas_version: int = 0
    next_run_id: int = 1
    uploaded_file_id: str | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)  # (level, text) shown once
    #: The model that answered before the current one, kept while the current one reads
    #: digits at chance, so Draw and Inspect can offer it back.
    last_good_model: ActiveModel | None = None
    #: This tab's key in the server-side store (``?sid=``), so a reload finds it again.
    token: str = field(default_factory=sessions.new_token)
    #: Each feature's own state, by the feature's name (the Boundaries experiment, the
    #: sweep, Draw's personal set, the Optimizers race, the tutorial's history ...):
    #: kept across reloads like the runs. Common code never looks inside.
    rooms: dict[str, Any] = field(default_factory=dict)
    #: The language this tab is shown in (``i18n.LANGUAGES``; ``?lang=`` in the address).
    lang: str = i18n.DEFAULT_LANGUAGE

    def room(self, name: str, make: Any = None) -> Any:
        """The feature ``name``'s state; made with ``make()`` on first use if given."""
        if name not in self.rooms and make is not None:
            self.rooms[name] = make()
        return self.rooms.get(name)

    def new_run_id(self) -> int:
        run_id = self.next_run_id
        self.next_run_id += 1
        return run_id

    def start_run(self, config: TrainConfig, dataset: Any, **kwargs: Any) -> TrainingRun:
        """Replace the current run by a fresh one with ``config`` and start it; it is kept
        (``complete_run``) the moment it ends, in whichever thread trains it."""
        run = TrainingRun(config, dataset, run_id=self.new_run_id(), on_end=self.complete_run,
                          **kwargs)
        self.config = config
        self.run = run
        run.start()
        return run

    def train_to_end(self, config: TrainConfig, dataset: Any, **kwargs: Any) -> TrainingRun:
        """Train a whole run now, beside the current one (which is left alone), and keep it."""
        run = TrainingRun(config, dataset, run_id=self.new_run_id(), **kwargs)
        run.run_to_end()
        self.complete_run(run)
        return run

    def complete_run(self, run: TrainingRun) -> RunRecord:
        """Keep a finished/stopped/diverged run and make its network the session's model."""
        record = run.record()
        with _runs_lock:
            if not any(r.run_id == record.run_id for r in self.runs):
                self.runs.append(record)
                del self.runs[:-MAX_RUNS_KEPT]
        # A diverged run keeps its last good weights on the Train page, but the model that
        # answers on Draw/Inspect only changes if there was none: a diverged net reads badly.
        # A net whose numbers overflow on the test images can't answer at all.
        if run.is_usable and (run.status != DIVERGED or self.model is None):
            if self.model is not None and not self.model_at_chance and self.model.net is not run.net:
                self.last_good_model = self.model
            # In the tab's language: the run may end in its worker thread, where no page
            # run has set one (a Chinese tab's sidebar said "run #1").
            with i18n.using(self.lang):
                source = _("run #{run_id}").format(run_id=run.run_id)
            self.model = ActiveModel(
                net=run.net,
                dataset=run.config.dataset,
                test_accuracy=run.test_accuracy,
                source=source,
            )
            if not self.model_at_chance:
                self.last_good_model = None
        return record

    @property
    def model_at_chance(self) -> bool:
        """Whether the session's model reads its test set no better than guessing."""
        model = self.model
        if model is None:
            return False
        n_classes = int(getattr(model.net, "layer_sizes", (0, 10))[-1])
        return is_at_chance(model.test_accuracy, n_classes)

    def use_last_good_model(self) -> bool:
        """Make the model from before the chance-level one answer again."""
        if self.last_good_model is None:
            return False
        self.model, self.last_good_model = self.last_good_model, None
        return True

    def start_training(self, config: TrainConfig, load_dataset: Any) -> TrainingRun | None:
        """What the Train button does with the settings on screen: load the dataset and
        start a run, or leave a notice saying why not (and what to change)."""
        self.config = config
        try:
            dataset = load_dataset(config.dataset)
        except RuntimeError as exc:
            self.notify("error", missing_dataset_message(config.dataset, exc))
            return None
        try:
            return self.train(config, dataset)
        except ValueError as exc:
            self.notify("error", _("Can't start training: {problem}. Change that setting and try "
                                   "again.").format(problem=exc))
        except MemoryError:
            self.notify(
                "error", _("Not enough memory for this network: use fewer or smaller hidden layers.")
            )
        return None

    def train(self, config: TrainConfig, dataset: Any, **kwargs: Any) -> TrainingRun:
        """What the Train button does: end a paused run (keeping it), start a new one."""
        if self.run is not None and self.run.is_active and self.run.epochs_done > 0:
            self.stop()
        return self.start_run(config, dataset, **kwargs)

    def toggle_pause(self) -> None:
        """Pause a running run, resume a paused one."""
        if self.run is None:
            return
        if self.run.status == RUNNING:
            self.run.pause()
        elif self.run.status == PAUSED:
            self.run.resume()

    def stop(self) -> RunRecord | None:
        """Stop the current run now, keep its weights and record it."""
        run = self.run
        if run is None or not run.is_active:
            return None
        run.stop()
        return self.complete_run(run)

    def reset(self) -> None:
        """Drop the current run; the next Train builds a new network from the settings.

        A run that already ended stays in the comparison list and, if it is the
        session's model, keeps answering on Draw and Inspect.
        """
        self.run = None

    def clear_canvas(self) -> None:
        self.canvas_version += 1

    @property
    def canvas_key(self) -> str:
        return f"canvas-{self.canvas_version}"

    def notify(self, level: str, text: str) -> None:
        self.notices.append((level, text))

    def pop_notices(self) -> list[tuple[str, str]]:
        notices, self.notices = self.notices, []
        return notices


def missing_dataset_message(name: str, exc: Exception) -> str:
    return _(
        "The {dataset} dataset isn't on this machine yet ({problem}). "
        "Download it on the Train page, or use the bundled digits dataset."
    ).format(dataset=name, problem=exc)


def get_playground(
    session_state: MutableMapping[str, Any],
    query: Mapping[str, Any] | None = None,
    store: sessions.SessionStore | None = None,
    read_settings: bool = True,
    default_lang: str = i18n.DEFAULT_LANGUAGE,
) -> Playground:
    """The session's :class:`Playground`, found or made on the session's first page run.

    On that first run, a ``sid`` in ``query`` that ``store`` knows is a reloaded
    tab: its state comes back. Otherwise a new one starts, with the settings the
    link's parameters ask for (a note for each refused value). Settings in the
    link win over restored ones: someone edited the address. The language comes from
    the link's ``lang`` (any page), else the restored tab, else ``default_lang`` (the
    browser's language).
    """
    pg = session_state.get(STATE_KEY)
    if isinstance(pg, Playground):
        return pg
    query = query or {}
    token = query.get(SESSION_PARAM)
    restored = store.get(token) if store is not None and token else None
    # Only the Train page's own link carries training settings (read_settings).
    train_query = query if read_settings else {}
    pg = restored if isinstance(restored, Playground) else Playground()
    lang_note = read_language(pg, query, getattr(restored, "lang", default_lang))
    with i18n.using(pg.lang):  # the notes in the tab's language
        if pg is restored:
            pg.config, notes = config_from_query(train_query, pg.config)
        else:
            pg.config, notes = config_from_query(train_query)
            if token and store is not None:
                pg.notify("info", _("That tab's earlier session has expired: starting afresh."))
    for note in [*lang_note, *notes]:
        pg.notify("warning", note)
    session_state[STATE_KEY] = pg
    return pg


def read_language(pg: Playground, query: Mapping[str, Any], fallback: str) -> list[str]:
    """Set ``pg.lang`` from the link's ``lang`` (else ``fallback``); a note if it was refused."""
    raw = query.get(LANG_PARAM)
    text = str(raw[-1] if isinstance(raw, list) and raw else raw or "").strip()[:100]
    chosen = i18n.normalise(text)
    pg.lang = chosen or i18n.normalise(fallback) or i18n.DEFAULT_LANGUAGE
    if raw is None or chosen is not None:
        return []
    with i18n.using(pg.lang):
        return [_("`{name}={value}` isn't valid (use {allowed}); kept {name}={kept}.").format(
            name=LANG_PARAM, value=text[:30], allowed=_("one of {options}").format(
                options=", ".join(i18n.LANGUAGES)), kept=pg.lang)]


def url_params(pg: Playground, page_params: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the address bar should say for this tab: its settings, its language and its token.

    ``page_params``: the page on screen has settings of its own (Boundaries), shown
    instead of the Train settings."""
    own = config_to_query(pg.config) if page_params is None else dict(page_params)
    return {**own, LANG_PARAM: getattr(pg, "lang", i18n.DEFAULT_LANGUAGE), SESSION_PARAM: pg.token}
