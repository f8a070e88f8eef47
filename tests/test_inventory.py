"""Reading service files: checked against the catalog's checklists, every problem named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.errors import ServiceError
from secaudit.inventory import find_service, load_service, load_services
from secaudit.model.classification import ClassificationScheme
from tests.conftest import EXAMPLES

R6 = ClassificationScheme.R6

KNOWN = ("mic-baseline", "web-service", "cloud-saas", "online-payment")
KNOWN_LISTED = "known: cloud-saas, mic-baseline, online-payment, web-service"


def service_file(folder: Path, checklists_line: str | None) -> Path:
    """kosodate-portal with its ``checklists:`` line replaced (or removed when None)."""
    lines = (EXAMPLES / "services" / "kosodate-portal.yaml").read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("checklists:")]
    if checklists_line is not None:
        lines.append(checklists_line)
    path = folder / "kosodate-portal.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ServiceError) as info:
        load_service(path, KNOWN, R6)
    return [str(p) for p in info.value.problems]


def test_an_unknown_checklist_is_an_error_naming_line_and_the_known_ones(tmp_path: Path) -> None:
    path = service_file(tmp_path, "checklists: [mic-baseline, web-servce]")
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert problems(path) == [
        f"{path}:{line}: checklists[1]: unknown checklist 'web-servce' (did you mean 'web-service'? {KNOWN_LISTED})"
    ]


def test_an_unknown_checklist_in_a_block_list_names_its_own_line(tmp_path: Path) -> None:
    path = service_file(tmp_path, "checklists:\n  - mic-baseline\n  - city-extras")
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert problems(path) == [f"{path}:{line}: checklists[1]: unknown checklist 'city-extras' ({KNOWN_LISTED})"]


@pytest.mark.parametrize("checklists_line", ["checklists: []", None])
def test_a_service_audited_against_nothing_is_an_error(tmp_path: Path, checklists_line: str | None) -> None:
    # with no checklist a service has no control, and nothing stops it at the launch gate
    [problem] = problems(service_file(tmp_path, checklists_line))
    assert f"checklists: name at least one checklist to audit the service against ({KNOWN_LISTED})" in problem
    assert problem.startswith(f"{tmp_path / 'kosodate-portal.yaml'}:")


def test_known_checklists_load(tmp_path: Path) -> None:
    service = load_service(service_file(tmp_path, "checklists: [web-service, mic-baseline]"), KNOWN, R6)
    assert service.checklists == ["web-service", "mic-baseline"]


def test_every_service_file_and_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\n", encoding="utf-8")
    service_file(tmp_path, "checklists: [nope]")
    with pytest.raises(ServiceError) as info:
        load_services(tmp_path, KNOWN, R6)
    located = [p.location for p in info.value.problems]
    assert any(loc.startswith(str(tmp_path / "a.yaml")) for loc in located)
    assert any(loc.startswith(str(tmp_path / "kosodate-portal.yaml")) for loc in located)


def test_find_service_checks_the_checklists_too(tmp_path: Path) -> None:
    service_file(tmp_path, "checklists: [mic-baseline, web-servce]")
    with pytest.raises(ServiceError) as info:
        find_service(tmp_path, "kosodate-portal", KNOWN, R6)
    assert "unknown checklist 'web-servce'" in "\n".join(info.value.lines())
    assert find_service(tmp_path, "kosodate-portal", (*KNOWN, "web-servce"), R6).checklists[1] == "web-servce"


def test_the_organisation_id_is_reserved_for_the_city_wide_answers(tmp_path: Path) -> None:
    text = service_file(tmp_path, "checklists: [mic-baseline]").read_text(encoding="utf-8")
    path = tmp_path / "organisation.yaml"
    path.write_text(text.replace("id: kosodate-portal", "id: organisation"), encoding="utf-8")
    [problem] = problems(path)
    assert "'organisation' is reserved for the city-wide answers" in problem
    assert "questionnaire export --organisation" in problem
