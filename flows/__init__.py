"""Prefect flows over the ``pipeline`` library: orchestration only.

Import ``flows.settings`` and call ``configure(study_dir)`` before importing any other
module of this package: Prefect reads its settings (home folder, telemetry) from the
environment when it is first imported. This module itself imports nothing from Prefect.

    flows.tasks       the tasks, each a short call into pipeline
    flows.stages      one flow per stage (ingest, segment, suggest, queue, confirm, summarize, audit)
    flows.code_study  the whole run, its report and artifacts, and the choice of task runner
    flows.inbox       watching an inbox folder (``deductive serve``)
    flows.demo        the demo study (``deductive demo``)
"""
