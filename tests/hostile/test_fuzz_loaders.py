"""Fuzzing the loaders: for any input, a result or a clean error of the subsystem's own type.

Bounded (few examples, small inputs, a timeout) so the suite stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from secaudit.catalog import Layer, load_catalog
from secaudit.errors import CatalogError, ServiceError
from secaudit.inventory import load_service
from secaudit.model import Condition
from secaudit.model.classification import ClassificationScheme
from secaudit.model.condition import FACT_NAMES
from secaudit.yamlsource import YamlSourceError, parse_yaml

R6 = ClassificationScheme.R6

pytestmark = pytest.mark.timeout(120)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=20))
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


@FUZZ
@given(st.text(max_size=400))
def test_yaml_reader_on_any_text(text: str) -> None:
    try:
        parse_yaml(text, Path("fuzz.yaml"))
    except YamlSourceError as exc:
        assert all(str(p).startswith("fuzz.yaml") for p in exc.problems)


@FUZZ
@given(st.binary(max_size=300))
def test_yaml_reader_on_any_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    from secaudit.yamlsource import load_yaml

    path = tmp_path_factory.mktemp("b") / "fuzz.yaml"
    path.write_bytes(data)
    try:
        load_yaml(path)
    except YamlSourceError:
        pass


@FUZZ
@given(yaml_values)
def test_catalog_loader_on_any_structure(tmp_path_factory: pytest.TempPathFactory, value: object) -> None:
    path = tmp_path_factory.mktemp("c") / "checklist.yaml"
    document = {"checklist": {"id": "fuzz", "version": "1", "title": {"ja": "x", "en": "x"}}, "controls": [value]}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        load_catalog([Layer("fuzz", (path,))])
    except CatalogError as exc:
        assert exc.problems and all(str(p.location).startswith(str(path)) for p in exc.problems)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "name",
                "department",
                "owner",
                "security_officer",
                "classification",
                "attributes",
                "scope",
                "schedule",
                "checklists",
                "launch_date",
            ]
        ),
        yaml_values,
        max_size=11,
    )
)
def test_service_loader_on_any_structure(tmp_path_factory: pytest.TempPathFactory, value: dict) -> None:
    folder = tmp_path_factory.mktemp("s")
    path = folder / "svc.yaml"
    path.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    try:
        load_service(path, ("mic-baseline",), R6)
    except ServiceError as exc:
        assert exc.problems


conditions = st.recursive(
    st.builds(
        lambda attr, op, v: {"attr": attr, op: v},
        st.sampled_from(sorted(FACT_NAMES) + ["bogus"]),
        st.sampled_from(["equals", "in", "gte", "lte"]),
        st.one_of(st.booleans(), st.integers(0, 4), st.text(max_size=6), st.lists(st.text(max_size=4), max_size=3)),
    ),
    lambda children: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(children, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(children, max_size=3)),
        st.builds(lambda x: {"not": x}, children),
    ),
    max_leaves=12,
)
facts = st.fixed_dictionaries(
    {
        name: st.one_of(st.booleans(), st.integers(1, 3), st.sampled_from(["saas", "none", "lgwan", "internet"]))
        for name in FACT_NAMES
    }
)


@FUZZ
@given(conditions, facts)
def test_applicability_expressions(expression: dict, service_facts: dict) -> None:
    try:
        condition = Condition.model_validate(expression)
    except ValidationError:
        return
    result = condition.evaluate(service_facts)
    assert isinstance(result, bool)
    assert isinstance(condition.describe(), str) and isinstance(condition.describe_ja(), str)
    if not result:
        assert condition.deciding_part(service_facts).describe()
