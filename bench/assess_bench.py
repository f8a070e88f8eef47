"""Time assess + register + gate over a synthetic catalog; prints figures (not a test).

Run: PYTHONPATH=. python bench/assess_bench.py [CONTROLS]
"""

from __future__ import annotations

import sys
import time

from figures import figure

from secaudit.assess import assess, score
from secaudit.gate import decide
from secaudit.model import GatePolicy, RunStatus, ScanRun
from secaudit.model.config import RiskMatrixKind
from secaudit.risk.register import apply_waivers, build_register
from tests.assessment_data import NOW, TODAY, answers, catalog, control, observation, service, yes_no


def main(count: int) -> None:
    """Build ``count`` controls (half questions, half checks on 4 targets) and time one evaluation."""
    controls = []
    given = {}
    seen = []
    for i in range(count):
        cid = f"TEC-6.1-{i % 1000:03d}" if i < 1000 else f"TEC{i // 1000}-6.1-{i % 1000:03d}"
        if i % 2:
            controls.append(control(cid, severity="high", checks=[f"tls.c{i}"]))
            seen += [observation(f"tls.c{i}", "fail" if i % 7 == 0 else "pass", f"h{t}") for t in range(4)]
        else:
            controls.append(control(cid, severity="medium", questions=[yes_no()]))
            given.update(answers(cid, q1="no" if i % 5 == 0 else "yes"))
    svc = service(internet=True, personal=True)
    cat = catalog(*controls)
    run = ScanRun(
        id="run-1",
        service_id="svc",
        profile="standard",
        started_at=NOW,
        finished_at=NOW,
        status=RunStatus.COMPLETED,
        secaudit_version="bench",
    )
    start = time.perf_counter()
    results = assess(svc, cat, given, seen, today=TODAY)
    judged = time.perf_counter()
    register = build_register(svc, results, cat, RiskMatrixKind.FIVE, {}, None, TODAY, now=NOW)
    results = apply_waivers(results, register)
    scores = score(results)
    decision = decide(svc, results, register, GatePolicy(), run, [], NOW)
    done = time.perf_counter()
    print(f"controls {count}, observations {len(seen)}, answers {len(given)}")
    command = f"PYTHONPATH=. python bench/assess_bench.py {count}"
    figure(f"assess, one service of {count} controls", 1000 * (judged - start), "ms", None, "<", command)
    figure(f"register + scores + gate, {count} controls", 1000 * (done - judged), "ms", None, "<", command)
    print(f"risks {len(register)}, pass rate {scores.overall.pass_rate}, decision {decision.decision.value}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
