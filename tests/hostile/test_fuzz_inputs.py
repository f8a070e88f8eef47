"""Mutated service files and ``secaudit.yaml`` through every read-only command: a result or a clean error.

Each example changes a value (another type, an impossible date, an address no host has, a cron
expression that never fires, odd text), deletes a key or repeats a list item, in the service file,
the workspace configuration or both, then runs ``service validate``, ``gate``, ``dashboard``,
``checklist soa`` and ``report`` in-process. Every command must end with one of its documented exit
codes and never print a traceback or "internal error" (which the CLI prints only for a bug).

Bounded (a few dozen examples on a copied workspace, a timeout) so the suite stays fast.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES, run_cli

pytestmark = pytest.mark.timeout(300)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

SERVICE = "kosodate-portal"

# exit codes each command may legitimately end with: 0 done, 1 the policy says NO-GO, 2 bad input
COMMANDS: list[tuple[list[str], set[int]]] = [
    (["service", "validate"], {0, 2}),
    (["gate", SERVICE], {0, 1, 2}),
    (["dashboard", "--format", "json"], {0, 2}),
    (["checklist", "soa", SERVICE, "--format", "json"], {0, 2}),
    (["report", SERVICE, "--format", "json"], {0, 2}),
]

RAW = "__raw__"
"""Marks text written into the file as is, unquoted: YAML that no Python value dumps to (2027-02-30)."""

odd_values = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            1,
            2,
            3,
            65536,
            1.5,
            float("nan"),
            10**30,
            "",
            " ",
            "yes",
            "no",
            "true",
            "1",
            "-iL /etc/passwd",
            "../../etc/passwd",
            "0.0.0.0",
            "::",
            "255.255.255.255",
            "224.0.0.1",
            "0",
            "127.0.0.1",
            "0 0 30 2 *",
            "0 0 31 4 *",
            "* * * * * *",
            "Asia/Tokio",
            "UTC",
            "2027-02-30",
            "あ" * 300,
            [],
            {},
            ["mic-baseline", "web-servce"],
            {"ja": "x"},
            dt.date(2027, 4, 1),
            dt.datetime(2027, 4, 1, 9, 30),
        ]
    ),
    st.sampled_from(
        [
            f"{RAW}2027-02-30",
            f"{RAW}2027-06-31",
            f"{RAW}2027-13-01",
            f"{RAW}2027-04-01T25:00:00",
            f"{RAW}2027-04-01 10:00:00 +25:00",
            f"{RAW}!!bool maybe",
            f"{RAW}!!int twelve",
            f"{RAW}!!timestamp soon",
            f"{RAW}!!binary '!!!'",
            f"{RAW}" + "9" * 5000,
        ]
    ),
    st.integers(),
    st.text(max_size=12),
)

# a mutation: (which file, where in it (taken modulo the number of places), what to do, with which value)
mutations = st.lists(
    st.tuples(
        st.sampled_from(["service", "config"]),
        st.integers(0, 10_000),
        st.sampled_from(["replace", "replace", "replace", "delete", "repeat"]),
        odd_values,
    ),
    min_size=1,
    max_size=3,
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a YAML value, the root excluded."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_places(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_places(value, (*path, index)))
    return found


def _mutate(data: Any, where: int, action: str, value: Any) -> None:
    places = _places(data)
    if not places:
        return
    path = places[where % len(places)]
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "repeat" and isinstance(parent[last], list) and parent[last]:
        parent[last].append(parent[last][0])
    else:
        parent[last] = value


def _dump(data: Any) -> str:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    # the raw marker comes out plain or quoted depending on what follows it; either way, unquote it
    return re.sub(rf"""(['"]?){RAW}(.*?)\1$""", r"\2", text, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the example services, every read-only command already run once on it."""
    root = tmp_path_factory.mktemp("inputs") / "ws"
    assert run_cli(["init", str(root), "--organisation-en", "Test City"]).exit_code == 0
    (root / "services" / "example-portal.yaml").unlink()
    for path in (EXAMPLES / "services").glob("*.yaml"):
        shutil.copy(path, root / "services" / path.name)
    for command, codes in COMMANDS:
        result = run_cli(command, root)
        assert result.exit_code in codes - {2}, (command, result.stderr)
    return root


_copies = count()


@FUZZ
@given(changes=mutations)
def test_read_only_commands_on_mutated_inputs(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[str, int, str, Any]]
) -> None:
    root = tmp_path_factory.getbasetemp() / f"mutated-{next(_copies)}"
    shutil.copytree(pristine, root)
    files = {"service": root / "services" / f"{SERVICE}.yaml", "config": root / "secaudit.yaml"}
    documents = {name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in files.items()}
    for name, where, action, value in changes:
        _mutate(documents[name], where, action, value)
    for name, path in files.items():
        path.write_text(_dump(documents[name]), encoding="utf-8")
    try:
        for command, codes in COMMANDS:
            result = run_cli(command, root)
            output = result.stdout + result.stderr
            assert result.exit_code in codes, (command, result.exit_code, output[-2000:])
            assert "internal error" not in output and "Traceback" not in output, (command, output[-2000:])
            if result.exit_code == 2:
                assert result.stderr.startswith("error:"), (command, result.stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)
