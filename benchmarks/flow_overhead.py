"""What the Prefect flow costs over the plain library, on the AnnoMI corpus.

    python benchmarks/flow_overhead.py [--model fake]

Prints, from one run: the plain-library time (ingest, suggest, summary of the first
pass), the ``code_study`` flow time for the same work (target: at most 1.1x), the
warm re-run over unchanged inputs (target: at most 5% of the cold run), and the flow
on a local Dask cluster of 2 workers. The temporary Prefect server's start-up is timed
separately (a no-op flow first), since a team running ``prefect server start`` pays it
once, not per run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _annomi import ANNOMI, CODEBOOK, READ, ROLES_TOML, require_annomi  # noqa: E402


def _study(root: Path, model: str) -> Path:
    from pipeline.study import Study

    Study.create(root, codebook=CODEBOOK).close()
    settings = root / "deductive.toml"
    text = settings.read_text(encoding="utf-8").replace('unit = "sentence"', 'unit = "row"')
    text = text.replace('model = "all-MiniLM-L6-v2"', f'model = "{model}"')
    settings.write_text(text + ROLES_TOML, encoding="utf-8")
    return root


def plain_library(root: Path) -> float:
    from pipeline.study import Study
    from pipeline.summarize import SourceOptions, SummaryOptions, summarize, write_summary

    started = time.perf_counter()
    with Study(root) as study:
        assert study.ingest([ANNOMI], read=READ).ok
        embedder = study.embedder()
        study.suggest(embedder=embedder)
        summary = summarize(study, SummaryOptions(source=SourceOptions(source="suggested")), embedder=embedder)
        write_summary(summary, root / "data" / "summary")
    return time.perf_counter() - started


def flow_run(root: Path, dask_workers: int | None = None) -> tuple[float, object]:
    from flows.code_study import run_code_study

    started = time.perf_counter()
    report = run_code_study(root, paths=[ANNOMI], read=READ, dask_workers=dask_workers)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="embedding model ('fake' for a quick check)")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many plain and flow runs")
    args = parser.parse_args()
    require_annomi()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        from flows.settings import configure

        configure(base, quiet=True)
        from prefect import flow

        started = time.perf_counter()
        flow(name="warm-up")(lambda: None)()
        server = time.perf_counter() - started
        # Plain and flow runs alternate, best of --repeat each: on a 2-core machine the
        # model's speed drifts by 20% between minutes, which would swamp the overhead.
        plains, colds = [], []
        for attempt in range(args.repeat):
            plains.append(plain_library(_study(base / f"plain-{attempt}", args.model)))
            flow_study = _study(base / f"flow-{attempt}", args.model)
            cold, report = flow_run(flow_study)
            colds.append(cold)
        plain, cold = min(plains), min(colds)
        warm, again = flow_run(flow_study)
        dask, _ = flow_run(_study(base / "dask", args.model), dask_workers=2)
    segments = report.suggest.segments if report.suggest else 0  # type: ignore[attr-defined]
    print(f"corpus        {ANNOMI.name}: {segments} segments, model {args.model}")
    print(f"server start  {server:6.1f} s  (temporary Prefect server, once per process)")
    print(f"plain library {plain:6.1f} s  (best of {args.repeat}: {', '.join(f'{p:.1f}' for p in plains)})")
    print(f"code_study    {cold:6.1f} s  ({cold / plain:.2f}x the plain library; target <= 1.1x; "
          f"runs: {', '.join(f'{c:.1f}' for c in colds)})")
    print(f"warm re-run   {warm:6.1f} s  ({warm / cold:.1%} of cold; target <= 5%); "
          f"embedded {again.embedded} texts")  # type: ignore[attr-defined]
    print(f"dask 2 workers{dask:6.1f} s  (local cluster start included)")


if __name__ == "__main__":
    main()
