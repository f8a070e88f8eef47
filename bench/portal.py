"""Owners on the portal at once: 50 simulated owners, each with its own service and invitation, open the link,
look at their questionnaire and sections, and save draft answers, all at the same time against one
``secaudit serve`` on loopback. Prints the 95th-percentile page latency beside the goal (issue 18: 150 ms)
and the median.

Each owner pauses between actions as a person does (``--think``, default 2 s on average, drawn
between half and one and a half times that): reading a question and typing its evidence takes
longer than that, so the figure is what an owner waits for while 49 others work. A second run
without pauses measures the portal flat out: the pages it serves per second, and the latency then
(information, no goal: with no pauses every request waits behind the other owners' ones).

The workspace is the benchmarks' synthetic portfolio (``bench/portfolio_workspace.py``) on the shipped
catalog; each save carries an evidence reference and a comment, so every save passes the
import's rules and is written as a draft.

Reproduce: PYTHONPATH=$PWD python bench/portal.py [--owners 50] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import figure
from portfolio_workspace import answer_value, build_workspace

REPO = Path(__file__).resolve().parent.parent
GOAL_P95_MS = 150.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_WORKSPACE": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "secaudit", "serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    process.kill()
    raise SystemExit("secaudit serve did not start")


def plan(root: Path, owners: int) -> list[tuple[str, list[tuple[str, str, list[str]]]]]:
    """Per owner: the invitation token and the answers it will save (ref, section, values)."""
    from secaudit.pipeline.portal_access import invite
    from secaudit.pipeline.session import Session
    from secaudit.questionnaire.items import question_items

    session = Session(root)
    rng = random.Random(owners)
    today = dt.date.today()
    work = []
    for index in range(owners):
        service = session.service(f"svc-{index:04d}")
        token = invite(session, service.id, f"owner{index}@city.example.jp", None, "bench", "ja").token
        items = [i for i in question_items(session.catalog(), service) if i.parent is None]
        chosen = rng.sample(items, min(len(items), 12))
        saves = []
        for item in chosen:
            value = answer_value(item.question, "non_compliant", today, rng)
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            saves.append((item.ref, str(item.control.domain.section), values))
        work.append((token, saves))
    session.store().close()
    return work


async def owner(
    base: str, token: str, saves: list[tuple[str, str, list[str]]], rounds: int, think: float, times: list[float]
) -> int:
    import httpx

    refused = 0
    pause = random.Random(token)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def timed(method: str, path: str, **kwargs: object) -> httpx.Response:
            if think:
                await asyncio.sleep(think * pause.uniform(0.5, 1.5))
            started = time.perf_counter()
            response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
            times.append(time.perf_counter() - started)
            return response

        await timed("GET", f"/invite/{token}")
        home = await timed("GET", "/owner")
        csrf = re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]
        per_round = max(1, len(saves) // rounds)
        for start_at in range(0, len(saves), per_round):
            batch = saves[start_at : start_at + per_round]
            await timed("GET", f"/owner/section/{batch[0][1]}")
            for ref, section, values in batch:
                data = {
                    "csrf": csrf,
                    "ref": ref,
                    "section": section,
                    "value": values,
                    "evidence": "bench 資料",
                    "comment": "bench",
                }
                saved = await timed("POST", "/owner/answer", data=data)
                refused += saved.status_code != 303
            await timed("GET", "/owner")
    return refused


async def crowd(
    base: str, work: list[tuple[str, list[tuple[str, str, list[str]]]]], rounds: int, think: float
) -> tuple[list[float], int, float]:
    times: list[float] = []
    started = time.perf_counter()
    refused = await asyncio.gather(*(owner(base, token, saves, rounds, think, times) for token, saves in work))
    return times, sum(refused), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4, help="how many times each owner opens a section and saves")
    parser.add_argument("--think", type=float, default=2.0, help="an owner's average pause between actions (s)")
    args = parser.parse_args()
    command = "PYTHONPATH=$PWD python bench/portal.py"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        build_workspace(root, args.owners)
        process, base = start(root)
        try:
            for think in (args.think, 0.0):
                times, refused, seconds = asyncio.run(crowd(base, plan(root, args.owners), args.rounds, think))
                if refused:
                    raise SystemExit(f"{refused} saves were refused: the benchmark measured errors, not work")
                ms = sorted(t * 1000 for t in times)
                p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
                print(f"{args.owners} owners at once, pausing {think:g} s: {len(ms)} requests in {seconds:.1f} s")
                if think:
                    label = f"portal, {args.owners} owners working: p95 page latency"
                    figure(label, p95, "ms", GOAL_P95_MS, command=command)
                    figure(
                        f"portal, {args.owners} owners working: median", statistics.median(ms), "ms", command=command
                    )
                else:
                    figure("portal flat out: pages per second", len(ms) / seconds, "/s", command=command)
                    figure("portal flat out: p95 latency (no pauses)", p95, "ms", command=command)
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
