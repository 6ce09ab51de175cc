"""What the Fix-the-tutorial page shows beyond its toggles, in Streamlit: the measured
tables with the explanation built from their numbers, each fix's "why" as the
measurement states it, and the tutorial's own slips.

Everything here reads the bench's saved JSON (``bench/results/fix_tutorial*.json``):
the page never retrains the 5-seed table on a click. The cost: the table is only as
fresh as the last ``python bench/fix_tutorial.py`` run, which its caption names.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from playground.common.i18n import _, translate_rows
from playground.learn import tutorial_fix as tf

RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench" / "results"
RESULTS_FILE = RESULTS_DIR / "fix_tutorial.json"
MNIST_RESULTS_FILE = RESULTS_DIR / "fix_tutorial_mnist_sample.json"


def load(path: Path) -> dict | None:
    try:
        results = json.loads(path.read_text())
        tf.table_rows(results)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return results


def why_each_fix(results: dict | None) -> None:
    with st.expander(_("Why each fix helps, or does not: what the measurement shows")):
        for fix in tf.FIXES:
            try:
                text = tf.why_text(fix.key, results) if results else _(fix.why)
            except KeyError:  # a bench file from before a row was measured
                text = _(fix.why)
            st.markdown(f"- **{_(fix.label)}**: {text}")


def which_fix_matters(results: dict | None) -> None:
    st.subheader(_("Which fix matters most"))
    if results is None:
        st.info(_("No measurements yet: run `python bench/fix_tutorial.py` to make the table."),
                icon=":material/table:")
        return
    st.caption(
        _("Measured by `{results}`: every "
        "configuration trained {results2} times (seeds "
        "{results3}-{results4}), {results5} epochs on the "
        "digits ({results6:,} training, {results7} test images), lr "
        "{LEARNING_RATE:g} unless a row says otherwise: the median test accuracy and, in "
        "brackets, its range in percent. \"Blew up\": runs the engine stopped because the "
        "loss exploded (their last good weights are scored). As written, the tutorial's "
        "code does not run: {as_written}.").format(results=results.get('command', 'python bench/fix_tutorial.py'), results2=len(results['seeds']), results3=results['seeds'][0], results4=results['seeds'][-1], results5=results['epochs'], results6=results['n_train'], results7=results['n_test'], LEARNING_RATE=tf.LEARNING_RATE, as_written=f"`{tf.as_written(results)}`")  # NumPy's own words: code
    )
    st.dataframe(translate_rows(tf.table_rows(results)), hide_index=True, width="stretch")
    steps = tf.step_size_rows(results)
    if steps:
        st.markdown(_("**The step size behind it**"))
        st.dataframe(translate_rows(steps), hide_index=True, width="stretch")
        st.caption(
            _("Effective step: what multiplies the mean per-image gradient in one update, "
            "lr x rows when the gradient is summed, lr when it is averaged. Saturated: "
            "hidden units whose sigmoid is below 0.01 or above 0.99 on every one of the "
            "engine's 256 probe images after the first pass (median over the seeds).")
        )
        try:
            st.markdown(tf.explanation(results))
        except KeyError:
            pass


def mnist_table(results: dict | None) -> None:
    if results is None:
        return
    with st.expander(_("The same on {results:,} MNIST digits, raw pixels 0-255 as "
                     "in the tutorial").format(results=results['n_train'])):
        st.caption(
            _("Measured by `{results}`: {results2} seeds, "
            "{results3} epochs, {results4:,} test images (the bundled "
            "MNIST sample).").format(results=results['command'], results2=len(results['seeds']), results3=results['epochs'], results4=results['n_test'])
        )
        st.dataframe(translate_rows(tf.table_rows(results)), hide_index=True, width="stretch")


def tutorial_slips() -> None:
    with st.expander(_("The tutorial's own slips, by section")):
        for section, text in tf.TUTORIAL_SLIPS:
            st.markdown(_("- **Section {section}**: {text}").format(section=section, text=_(text)))
