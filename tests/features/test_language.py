"""The language of a tab: from the browser, the link or the switch; kept by a reload and
by Copy link; one tab's language never leaks into another's text."""

from __future__ import annotations

import threading

import pytest

from playground.common import i18n, sessions
from playground.common.i18n import _, ngettext
from playground.common.state import Playground, get_playground, url_params
from playground.common.urlstate import LANG_PARAM, SESSION_PARAM, share_link
from playground.common.vocab import TrainConfig, format_seconds


@pytest.mark.parametrize(("locale", "lang"), [
    ("zh-CN", "zh"), ("zh", "zh"), ("zh-Hans-CN", "zh"), ("zh_TW", "zh"), ("ZH-hk", "zh"),
    ("en-US", "en"), ("de-DE", "en"), ("", "en"), (None, "en"), ("zhx", "en"),
])
def test_the_browser_locale_picks_the_language(locale, lang):
    assert i18n.language_from_locale(locale) == lang


@pytest.fixture(autouse=True)
def english_after():
    """Each test leaves this thread as the other tests expect it: no language set."""
    yield
    i18n.set_language(None)


def test_getting_a_tab_leaves_the_threads_language_alone():
    i18n.set_language(None)
    get_playground({}, {LANG_PARAM: "zh"}, default_lang="en")
    assert i18n.language() == "en" and _("Train") == "Train"


def test_messages_are_chinese_in_zh_and_the_source_text_in_en():
    with i18n.using("zh"):
        assert _("Train") == "训练"
        assert _("Copy link") == "复制链接"
        assert i18n.pgettext("button", "Play") == "播放" and _("Play") == "动手玩"
        assert ngettext("Your set: {n} drawing", "Your set: {n} drawings", 3).format(n=3) == \
            "你的集合：3 幅画"
        assert format_seconds(125) == "2 分 5 秒"
        assert _("not in the catalogue at all") == "not in the catalogue at all"
    with i18n.using("en"):
        assert _("Train") == "Train"
        assert ngettext("Your set: {n} drawing", "Your set: {n} drawings", 1).format(n=1) == \
            "Your set: 1 drawing"
        assert format_seconds(125) == "2 min 5 s"


def test_numbers_are_formatted_alike_in_both_languages():
    # zh-Hans writes digits, the decimal point, the thousands comma and % as English does.
    message = "Epoch {epoch} · test accuracy {test_accuracy:.1%} · test loss {test_loss:.3f}"
    with i18n.using("zh"):
        zh = _(message).format(epoch=1200, test_accuracy=0.9734, test_loss=0.1234)
    assert "97.3%" in zh and "0.123" in zh and "1200" in zh


def test_each_thread_has_its_own_language():
    seen = {}

    def tab(name: str, lang: str) -> None:
        i18n.set_language(lang)
        barrier.wait()  # both tabs have set theirs before either reads
        seen[name] = _("Train")

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=tab, args=("a", "zh")),
               threading.Thread(target=tab, args=("b", "en"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": "训练", "b": "Train"}


def test_a_run_without_a_language_asks_the_registered_source():
    done = {}

    def callback_thread() -> None:  # a widget callback: this run has set no language yet
        i18n.set_language(None)
        done["text"] = _("Train")

    i18n.set_language_source(lambda: "zh")
    try:
        t = threading.Thread(target=callback_thread)
        t.start()
        t.join()
    finally:
        i18n.set_language_source(lambda: None)
    assert done["text"] == "训练"


def test_the_link_sets_the_language_and_a_bad_one_gets_a_note():
    pg = get_playground({}, {LANG_PARAM: "zh"}, default_lang="en")
    assert pg.lang == "zh" and pg.pop_notices() == []
    pg = get_playground({}, {}, default_lang="zh")
    assert pg.lang == "zh"
    pg = get_playground({}, {LANG_PARAM: "fr"}, default_lang="en")
    notes = pg.pop_notices()
    assert pg.lang == "en" and len(notes) == 1
    assert notes[0][0] == "warning" and "`lang=fr`" in notes[0][1] and "kept lang=en" in notes[0][1]


def test_a_reload_keeps_the_language_and_the_address_carries_it():
    store = sessions.SessionStore()
    pg = get_playground({}, {}, store, default_lang="en")
    pg.lang = "zh"  # the sidebar switch
    store.put(pg.token, pg)
    params = url_params(pg)
    assert params[LANG_PARAM] == "zh" and params[SESSION_PARAM] == pg.token
    # A reload: a new session with the same address, in a browser whose locale is English.
    again = get_playground({}, params, store, default_lang="en")
    assert again is pg and again.lang == "zh"
    # Boundaries' own parameters keep the language too.
    assert url_params(pg, {"data": "xor"})[LANG_PARAM] == "zh"


def test_copy_link_keeps_the_language():
    link = share_link("http://localhost:8501/", TrainConfig(), "zh")
    assert link.endswith("&lang=zh") and SESSION_PARAM not in link
    assert "lang=" not in share_link("http://localhost:8501/", TrainConfig())


def test_a_table_is_shown_with_translated_headers_but_keeps_its_keys():
    rows = [{"learning rate": 0.01, "optimizer": "SGD", "seconds": 1.5, "status": "ok"}]
    with i18n.using("zh"):
        shown = i18n.translate_rows(rows, {"seconds": "用时"})
    assert shown == [{"学习率": 0.01, "优化器": "SGD", "用时": 1.5, "状态": "完成"}]
    assert rows[0]["learning rate"] == 0.01  # the rows themselves are untouched


def test_a_playground_made_before_languages_reads_as_english():
    pg = Playground()
    assert pg.lang == "en"


def _figure_words(fig) -> list[str]:
    """The English words of a figure's titles, names, texts and hover templates: Plotly's
    placeholders (``%{y:.1%}``), tags and numbers left out."""
    import re

    found: list[str] = []

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("text", "name", "hovertemplate", "hovertext", "title", "label",
                                                   "prefix"):
            plain = re.sub(r"%\{[^}]*\}|<[^>]*>", " ", node)
            found.extend(re.findall(r"[A-Za-z]{3,}", plain))

    walk(fig.to_plotly_json())
    return found


def test_the_shared_figures_speak_chinese_down_to_their_hover_texts():
    """Axis titles, chart titles and the hover readouts of Train, Draw, Inspect and
    Learn's figures: no English word left in zh (hover texts were once English in both)."""
    import numpy as np

    from playground.draw import figures as draw_figures
    from playground.inspect import figures as inspect_figures
    from playground.learn import figures as learn_figures
    from playground.train import figures as train_figures

    w1, w2 = np.full((2, 3), 0.5), np.full((3, 2), -0.5)
    grid = np.linspace(-1, 1, 5)
    path = np.zeros((4, 2))

    def figures():
        return {
            "run overlay": train_figures.run_overlay([("#1", [0.5, 0.4])]),
            "probabilities": draw_figures.probability_bars([0.1] * 10),
            "input image": draw_figures.input_image(np.zeros((8, 8))),
            "blank input": draw_figures.input_image(None, blank_shape=(28, 28)),
            "confusion": inspect_figures.confusion_matrix(np.eye(3, dtype=int)),
            "per class": inspect_figures.per_class_accuracy([0.9, 0.8, 0.7]),
            "diagram before Forward": learn_figures.network_diagram([w1, w2], [None] * 3),
            "diagram of a batch": learn_figures.network_diagram(
                [w1, w2], [np.ones((2, 2)), np.ones((2, 3)), np.ones((2, 2))]),
            "race on a surface": learn_figures.optimizer_race(
                grid, grid, np.zeros((5, 5)), [("SGD", path)], [(0.0, 0.0)], shown_step=3,
                contour_title="f − f_min"),
            "curves": learn_figures.curves([("Adam", [0.5, 0.4])], "y", "t"),
            "momentum map": learn_figures.momentum_map([0.1, 1.0], [0.0, 0.5],
                                                       [[3, None], [4, 5]], [], 10),
        }

    i18n.set_language("zh")
    english = {name: _figure_words(fig) for name, fig in figures().items()}
    names = {"Adam", "SGD", "min"}  # the labels this test gives, and f_min
    assert {name: [w for w in words if w not in names]
            for name, words in english.items() if set(words) - names} == {}
    i18n.set_language("en")
    assert all(_figure_words(fig) for fig in figures().values())  # the check sees English


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_run_ending_in_its_worker_thread_names_the_model_in_the_tabs_language(digits, lang):
    """A run ends in whichever thread trains it, where no page run set a language: the
    model's source ("run #1" in the sidebar) is still in the tab's language."""
    pg = Playground(lang=lang)
    run = pg.start_run(TrainConfig(epochs=2, hidden=(8,)), digits)
    worker = threading.Thread(target=run.run_to_end)  # a thread with no language set
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive() and pg.model is not None
    expected = "运行 #1" if lang == "zh" else "run #1"
    assert pg.model.source == expected
    assert pg.model.source in pg.model.describe()
