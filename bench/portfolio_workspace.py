"""The synthetic portfolio of the benchmarks (and of the dashboard's browser test): N services with evidence.

Each service varies its attributes, classification and checklists (mic-baseline,
web-service, cloud-saas and online-payment where they fit); it gets answers to the
applicable questions (a mix of compliant, partial, non-compliant and missing), a
completed scan run with observations for every check-verified control, and every
third service some accepted risks. Nothing is scanned: the evidence is written
straight into the workspace's store.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

DEPARTMENTS = ("こども部", "市民協働部", "税務部", "福祉部", "都市整備部", "環境部", "教育委員会")
OWNER = "{name: 所管課 担当者, email: owner@city.example.jp}"
OFFICER = "{name: 情報セキュリティ担当, email: security@city.example.jp}"


def service_yaml(index: int, rng: random.Random) -> str:
    """One synthetic service file; attributes, classification and checklists vary with the index."""
    sid = f"svc-{index:04d}"
    tier = ("internet", "internet", "internet", "lgwan", "mynumber")[index % 5]
    internet = tier == "internet"
    cloud = ("saas", "iaas", "none", "paas")[index % 4] if tier != "mynumber" else "none"
    payment = internet and index % 3 == 0
    checklists = ["mic-baseline"]
    if internet:
        checklists.append("web-service")
    if cloud == "saas":
        checklists.append("cloud-saas")
    if payment:
        checklists.append("online-payment")
    launch = dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(365))
    conf = "3A" if tier == "mynumber" else rng.choice((1, 2, "3B"))
    lines = [
        f"id: {sid}",
        f"name: {{ja: オンライン申請 {index}, en: Online procedure {index}}}",
        f"department: {DEPARTMENTS[index % len(DEPARTMENTS)]}",
        f"owner: {OWNER}",
        f"security_officer: {OFFICER}",
        f"launch_date: {launch.isoformat()}",
        f"classification: {{confidentiality: {conf}, integrity: {rng.choice((1, 2))}, "
        f"availability: {rng.choice((1, 2))}}}",
        "attributes:",
        f"  internet_facing: {str(internet).lower()}",
        f"  personal_data: {str(index % 7 != 0).lower()}",
        f"  mynumber: {str(tier == 'mynumber').lower()}",
        f"  payment: {str(payment).lower()}",
        f"  cloud: {cloud}",
        f"  outsourced: {str(index % 2 == 0).lower()}",
        f"  network_tier: {tier}",
    ]
    if internet:
        lines += [
            "scope:",
            "  authorized_by: 情報政策課長",
            "  authorized_until: 2099-03-31",
            "  targets:",
            "    - {host: localhost, addresses: [127.0.0.1], ports: [8443]}",
            "    - url: https://localhost:8443/",
        ]
    lines += ['schedule: "0 3 * * 1"', f"checklists: [{', '.join(checklists)}]"]
    return "\n".join(lines) + "\n"


def answer_value(question, wanted: str, today: dt.date, rng: random.Random) -> object:
    """A value for ``question`` whose verdict is ``wanted`` when the question allows it, else any valid one."""
    from secaudit.model import QuestionType

    kind = question.type
    if kind in (QuestionType.YES_NO, QuestionType.CHOICE, QuestionType.MULTI_CHOICE):
        values = [c.value for c in question.allowed_choices()]
        by_verdict = {
            "compliant": list(question.compliant),
            "partial": list(question.partial),
            "non_compliant": list(question.non_compliant),
        }
        pool = by_verdict.get(wanted) or values
        value = rng.choice(pool)
        return [value] if kind is QuestionType.MULTI_CHOICE else value
    if kind is QuestionType.NUMBER:
        rng_ = question.compliant_range
        base = (rng_.lte if rng_ is not None and rng_.lte is not None else None) or (
            rng_.gte if rng_ is not None and rng_.gte is not None else 1
        )
        return base if wanted == "compliant" else base * 3 + 100
    if kind is QuestionType.DATE:
        age = 10 if wanted == "compliant" else (question.max_age_days or 365) + 30
        return today - dt.timedelta(days=age)
    return "運用手順書に記載のとおり実施している。"


def build_workspace(root: Path, count: int, seed: int = 20261126, clean_every: int = 0) -> dict[str, int]:
    """Write ``count`` services and their evidence into a new workspace at ``root``; return what was made.

    With ``clean_every`` N, every Nth service (svc-0000 first) answers every question compliantly and
    passes every check, so that the portfolio has services the gate lets launch.
    """
    from secaudit.catalog import load_catalog
    from secaudit.inventory import load_service
    from secaudit.model import (
        Answer,
        AnswerSource,
        Observation,
        ObservationStatus,
        RunStatus,
        ScanRun,
        Treatment,
        TreatmentKind,
    )
    from secaudit.risk.register import risk_id
    from secaudit.store import open_store
    from secaudit.store.answers import AnswerSet, save_answer_set
    from secaudit.store.risks import save_treatments
    from secaudit.store.scans import begin_run, finish_run
    from secaudit.workspace import init_workspace

    rng = random.Random(seed)
    ws = init_workspace(root)
    for example in ws.services_dir.glob("*.yaml"):
        example.unlink()
    ws.ensure_data_dir()
    store = open_store(ws.database_url)
    catalog = load_catalog(ws.catalog_layers())
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    made = {"answers": 0, "observations": 0, "accepted": 0, "controls": 0}
    for index in range(count):
        path = ws.services_dir / f"svc-{index:04d}.yaml"
        path.write_text(service_yaml(index, rng), encoding="utf-8")
        service = load_service(path, catalog.checklists, ws.config.classification_scheme)
        controls = catalog.applicable_controls(service)
        made["controls"] += len(controls)
        clean = clean_every > 0 and index % clean_every == 0
        answers = []
        for control in controls:
            for question in control.questions:
                if clean:
                    wanted = "compliant"
                else:
                    wanted = rng.choices(("compliant", "partial", "non_compliant", "missing"), (60, 10, 15, 15))[0]
                    if wanted == "missing" or question.depends_on is not None:
                        continue
                answers.append(
                    Answer(
                        service_id=service.id,
                        control_id=control.id,
                        question_id=question.id,
                        value=answer_value(question, wanted, today, rng),
                        answered_by="bench",
                        answered_at=now,
                        source=AnswerSource.FILE,
                    )
                )
        save_answer_set(
            store, AnswerSet(service_id=service.id, source=AnswerSource.FILE, submitted_by="bench"), answers
        )
        made["answers"] += len(answers)
        run = ScanRun(
            id=f"run-{service.id}", service_id=service.id, profile="standard", started_at=now, secaudit_version="bench"
        )
        begin_run(store, run)
        observations, failing = [], []
        for control in controls:
            for ref in control.checks:
                status = (
                    ObservationStatus.PASS
                    if clean
                    else rng.choices(
                        (ObservationStatus.PASS, ObservationStatus.FAIL, ObservationStatus.ERROR), (75, 20, 5)
                    )[0]
                )
                if status is ObservationStatus.FAIL:
                    failing.append(control.id)
                observations.append(
                    Observation(
                        run_id=run.id,
                        service_id=service.id,
                        check_id=ref.check,
                        target="https://localhost:8443/",
                        status=status,
                        evidence=f"synthetic {status.value}",
                        observed_at=now,
                    )
                )
        finish_run(store, run.model_copy(update={"status": RunStatus.COMPLETED, "finished_at": now}), observations, [])
        made["observations"] += len(observations)
        if index % 3 == 0 and failing:
            accepted = [
                (
                    risk_id(service.id, cid),
                    cid,
                    Treatment(
                        kind=TreatmentKind.ACCEPT,
                        owner="所管課",
                        approver="CISO",
                        justification="代替の管理策で低減済み",
                        expires=today + dt.timedelta(days=180),
                        decided_by="bench",
                        decided_at=now,
                    ),
                )
                for cid in sorted(set(failing))[:2]
            ]
            save_treatments(store, service.id, accepted, "bench")
            made["accepted"] += len(accepted)
    store.close()
    return made
