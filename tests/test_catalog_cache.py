"""The remembered catalog: the same catalog as reading the files, and never a stale or damaged one."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from secaudit.catalog import Layer, load_catalog
from secaudit.catalog_cache import CACHE_NAME, cached_catalog
from secaudit.errors import CatalogError
from secaudit.model.classification import ClassificationScheme
from secaudit.workspace import builtin_layer, find_workspace
from tests.conftest import run_cli
from tests.test_catalog import GOOD_CONTROL, checklist

R6 = ClassificationScheme.R6


@pytest.fixture
def layers(tmp_path: Path) -> list[Layer]:
    """The shipped content plus a workspace checklist that overrides a shipped control and adds one."""
    extra = tmp_path / "content" / "extra.yaml"
    extra.parent.mkdir()
    extra.write_text(checklist(GOOD_CONTROL), encoding="utf-8")
    return [builtin_layer(), Layer("workspace", (extra,))]


def test_the_remembered_catalog_equals_the_files(tmp_path: Path, layers: list[Layer]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    fresh = load_catalog(layers)
    first = cached_catalog(layers, data)
    cache = data / CACHE_NAME
    assert cache.is_file() and stat.S_IMODE(cache.stat().st_mode) == 0o600
    again = cached_catalog(layers, data)
    assert fresh == first == again
    assert list(again.controls) == list(fresh.controls)  # catalog order kept
    assert again.version == fresh.version
    service = find_workspace(run_init(tmp_path)).services_dir / "example-portal.yaml"
    from secaudit.inventory import load_service

    example = load_service(service, fresh.checklists, R6)
    assert again.applicability(example) == fresh.applicability(example)


def run_init(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert run_cli(["init", str(root)]).exit_code == 0
    return root


def test_an_edited_file_is_read_again(tmp_path: Path, layers: list[Layer]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    cached_catalog(layers, data)
    extra = layers[1].files[0]
    extra.write_text(checklist(GOOD_CONTROL.replace("title: {ja: 研修, en: Training}", "title: {ja: 新研修, en: New}")),
                     encoding="utf-8")
    assert cached_catalog(layers, data).controls["HUM-5.2-901"].title.en == "New"
    extra.write_text("checklist: [broken\n", encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        cached_catalog(layers, data)  # a broken file is reported by the loader, never hidden by the cache
    assert "extra.yaml" in str(raised.value.problems[0])


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "not json",
        lambda text: json.dumps({**json.loads(text), "catalog": {"controls": {"X": {"id": 5}}}}),
        lambda text: text.replace('"severity": "medium"', '"severity": "catastrophic"'),
    ],
    ids=["truncated", "not-json", "wrong-shape", "invalid-value"],
)
def test_a_damaged_cache_is_ignored_and_replaced(tmp_path: Path, layers: list[Layer], damage: object) -> None:
    data = tmp_path / "data"
    data.mkdir()
    fresh = cached_catalog(layers, data)
    cache = data / CACHE_NAME
    cache.write_text(damage(cache.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    assert cached_catalog(layers, data) == fresh
    assert json.loads(cache.read_text(encoding="utf-8"))["catalog"]["digest"] == fresh.digest


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path: Path, layers: list[Layer]) -> None:
    data = tmp_path / "data"
    (data / CACHE_NAME).mkdir(parents=True)  # in the way of the file, whoever runs the test (CI runs as root)
    assert cached_catalog(layers, data) == load_catalog(layers)
    assert (data / CACHE_NAME).is_dir()


def test_commands_use_the_cache_and_notice_a_new_workspace_checklist(tmp_path: Path) -> None:
    root = run_init(tmp_path)
    before = run_cli(["checklist", "list"], root)
    assert before.exit_code == 0
    assert (root / ".secaudit" / CACHE_NAME).is_file()
    (root / "checklists").mkdir(exist_ok=True)
    (root / "checklists" / "extra.yaml").write_text(checklist(GOOD_CONTROL), encoding="utf-8")
    after = run_cli(["checklist", "list"], root)
    count = int(before.stdout.split(" controls")[0])
    assert after.exit_code == 0 and after.stdout.startswith(f"{count + 1} controls")
