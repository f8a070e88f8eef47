"""The safe YAML reader: line numbers, duplicate keys, alias bombs, size caps."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from secaudit.yamlsource import YamlSourceError, load_yaml, parse_yaml


def test_lines_are_recorded() -> None:
    doc = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n", Path("f.yaml"))
    assert doc.data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert doc.line_of(("a", "b")) == 2
    assert doc.line_of(("a", "c", 1)) == 5
    assert doc.where(("a", "missing")) == "f.yaml:1"


def test_duplicate_key_names_the_line() -> None:
    with pytest.raises(YamlSourceError, match=r"f.yaml:3: duplicate key 'b'"):
        parse_yaml("a:\n  b: 1\n  b: 2\n", Path("f.yaml"))


def test_merge_keys_refused() -> None:
    with pytest.raises(YamlSourceError, match="merge keys"):
        parse_yaml("base: &b {x: 1}\nother:\n  <<: *b\n", Path("f.yaml"))


def test_python_tags_refused() -> None:
    with pytest.raises(YamlSourceError, match="f.yaml"):
        parse_yaml("a: !!python/object/apply:os.system ['true']\n", Path("f.yaml"))


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        refs = ",".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_fails_fast_with_bounded_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(YamlSourceError, match="more than 200000 values"):
        parse_yaml(billion_laughs(), Path("bomb.yaml"))
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 200 * 1024  # 9**10 strings would need tens of GB


def test_oversized_file_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * (2 * 1024 * 1024))  # 20 MB
    with pytest.raises(YamlSourceError, match=r"big.yaml:1: file is 20971520 bytes"):
        load_yaml(big)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "sjis.yaml"
    path.write_bytes("a: 研修".encode("shift_jis"))
    with pytest.raises(YamlSourceError, match="not UTF-8"):
        load_yaml(path)
