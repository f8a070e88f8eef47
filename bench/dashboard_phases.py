"""Where the dashboard's time goes when it judges every service: milliseconds per service, per phase.

Builds the synthetic portfolio of ``bench/portfolio_workspace.py`` (N services, 124
applicable controls each on average) and runs one dashboard so that every
service's risks are remembered (as after the reports), then does in one process, batch by
batch, what a dashboard helper does, timing each phase: reading the service
files; reading answers, latest scans, reviews and treatments, remembered risks
and drift for the batch; then for each service assess (without trail),
register, lifecycle plan, waivers, gate, scores, report input and row.
Collection is tuned as the dashboard tunes it. Information only (no goal):
it explains the dashboard figure of ``bench/portfolio.py``.

Reproduce: PYTHONPATH=$PWD python bench/dashboard_phases.py [N]
"""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from figures import figure  # noqa: E402
from portfolio_workspace import build_workspace  # noqa: E402

COMMAND = "PYTHONPATH=$PWD python bench/dashboard_phases.py"
BATCH = 200


def main() -> None:
    """Build, time each phase, print milliseconds per service."""
    from secaudit.assess import assess, score
    from secaudit.gate import decide
    from secaudit.inventory import load_service, service_files
    from secaudit.pipeline.dashboard import collect_dashboard
    from secaudit.pipeline.evaluation import Evaluation
    from secaudit.pipeline.reporting import drift_items_of, report_input
    from secaudit.pipeline.session import Session
    from secaudit.report.dashboard import row_from_input, row_record
    from secaudit.risk.register import apply_waivers, build_register
    from secaudit.store import answers as answer_store
    from secaudit.store import reviews as review_store
    from secaudit.store import risks as risk_store
    from secaudit.store import scans as scan_store

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-phases-"))
    try:
        root = tmp / "ws"
        build_workspace(root, count)
        st = Session(workspace_path=root)
        collect_dashboard(st)  # untimed: remembers every service's risks, as the reports would have
        catalog, store, ws = st.catalog(), st.store(), st.workspace()
        now = dt.datetime.now(dt.UTC)
        spent: dict[str, float] = defaultdict(float)

        def tick(name: str, since: float) -> float:
            moment = time.perf_counter()
            spent[name] += moment - since
            return moment

        files = service_files(ws.services_dir)
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        for start in range(0, len(files), BATCH):
            t = time.perf_counter()
            services = {
                p.stem: load_service(p, catalog.checklists, ws.config.classification_scheme)
                for p in files[start : start + BATCH]
            }
            t = tick("read service files", t)
            ids = list(services)
            answers = answer_store.answers_in_force_of(store, ids, catalog.organisation_control_ids())
            t = tick("read answers", t)
            scans = scan_store.latest_observations_of(store, ids)
            t = tick("read latest runs and observations", t)
            reviews = review_store.latest_reviews_of(store, ids)
            treatments = risk_store.latest_treatments_of(store, ids)
            t = tick("read reviews and treatments", t)
            lifecycles = risk_store.lifecycles_of(store, ids)
            t = tick("read remembered risks", t)
            drift = drift_items_of(store, ids)
            t = tick("read drift", t)
            for sid, service in services.items():
                last_run, observations = scans.get(sid, (None, []))
                known = lifecycles.get(sid, {})
                results = assess(
                    service, catalog, answers.get(sid, {}), observations, reviews.get(sid, {}), now.date(), trail=False
                )
                t = tick("assess (no trail)", t)
                register = build_register(
                    service,
                    results,
                    catalog,
                    ws.config.risk_matrix,
                    treatments.get(sid, {}),
                    known,
                    now.date(),
                    now=now,
                )
                t = tick("risk register", t)
                risk_store.plan_lifecycle(sid, register, known, now)
                results = apply_waivers(results, register)
                t = tick("lifecycle plan and waivers", t)
                decision = decide(service, results, register, ws.config.gate, last_run, observations, now)
                t = tick("gate", t)
                scores = score(results)
                t = tick("scores", t)
                evaluation = Evaluation(
                    service=service,
                    catalog=catalog,
                    results=results,
                    scores=scores,
                    register=register,
                    decision=decision,
                    last_run=last_run,
                    observations=observations,
                    answers=answers.get(sid, {}),
                )
                row_record(row_from_input(report_input(st, evaluation, now, with_history=False, drift=drift)))
                tick("report input and row", t)
        gc.unfreeze()
        print(f"{count} services, batches of {BATCH}, one process; milliseconds per service")
        for name, seconds in spent.items():
            figure(f"{name}", seconds / count * 1000, "ms", None, "<", COMMAND)
        figure("all phases", sum(spent.values()) / count * 1000, "ms", None, "<", COMMAND)
        print(f"reproduce: {COMMAND} {count}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
