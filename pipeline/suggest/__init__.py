"""Suggestions: score segments against a codebook, learn from confirmations, evaluate.

- ``scoring``: the algorithm on arrays (code texts, calibration, the choice per group).
- ``stage``: the suggest stage over a study store (runs, incremental, reproducible).
- ``learner``: the estimator that learns from confirmed decisions, and its trust test.
- ``training``: the learn stage (decisions from the store in, a saved model out).
- ``active``: which segments to confirm next (uncertainty sampling).
- ``evaluate``: agreement of a run with gold labels, beside simple baselines.
- ``runs``: what ``Study`` delegates to for a study's runs (the learned suggester a run uses,
  a run's suggestions as a table, its evaluation); imports nothing heavy at module level.
"""
