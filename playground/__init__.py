"""Glue between the ``nn_core`` engine and the Streamlit pages.

Nothing in here needs a running Streamlit server:

* :mod:`playground.figures` - pure Plotly figure builders (arrays in, figures out);
* :mod:`playground.common.metrics` - confusion matrix, per-class accuracy, misclassified examples;
* :mod:`playground.training` - training configuration and the steppable :class:`TrainingRun`;
* :mod:`playground.common.state` - the per-session :class:`Playground` kept in ``st.session_state``;
* :mod:`playground.draw.drawing` - canvas image -> prediction, as a pure function;
* :mod:`playground.common.models` - saving, loading and describing models;
* :mod:`playground.data` - dataset loading (cached once per process) and MNIST download;
* :mod:`playground.shell.ui` - small Streamlit helpers shared by the pages.

The dependency direction is ``nn_core`` <- ``playground`` <- ``pages``: nothing flows up.
"""
