"""Render a checklist model as checklist YAML that loads back to the same model."""

from __future__ import annotations

from typing import Any

import yaml

from secaudit.authoring.cells import AuthoringError
from secaudit.model import Checklist

FLOW_MAX_KEYS = 3


class _ChecklistDumper(yaml.SafeDumper):
    """Small mappings of scalars ({ja, en}, references, choices) on one line; the rest as blocks."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = len(data) <= FLOW_MAX_KEYS and all(
        not isinstance(v, dict | list) and not (isinstance(v, str) and "\n" in v) for v in data.values()
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(v, str) and "\n" not in v and len(v) < 40 for v in data) and len(data) <= 8
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_ChecklistDumper.add_representer(dict, _represent_dict)
_ChecklistDumper.add_representer(list, _represent_list)


def checklist_yaml(checklist: Checklist, source: str | None = None) -> str:
    """The checklist as YAML; verified to load back into an equal model before it is returned."""
    data = checklist.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data["checklist"] = checklist.checklist.model_dump(mode="json", exclude_none=True)
    body = yaml.dump(data, Dumper=_ChecklistDumper, allow_unicode=True, sort_keys=False, width=4096)
    header = f"# Converted by 'secaudit checklist import' from {source}.\n" if source else ""
    text = header + body
    reloaded = Checklist.model_validate(yaml.safe_load(text))
    if reloaded.model_dump() != checklist.model_dump():
        raise AuthoringError("the checklist did not survive conversion to YAML unchanged; nothing was written")
    return text
