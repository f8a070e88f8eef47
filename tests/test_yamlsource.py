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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("launch_date: 2027-02-30\n", "f.yaml:1: launch_date: not a real date: 2027-02-30"),
        ("scope:\n  authorized_until: 2027-06-31\n", "f.yaml:2: scope.authorized_until: not a real date: 2027-06-31"),
        ("at: 2027-02-01T25:00:00\n", "f.yaml:1: at: not a real date and time: 2027-02-01T25:00:00"),
        ("at: 2027-02-01 10:00:00 +25:00\n", "f.yaml:1: at: not a real date and time"),
        ("items:\n  - ok\n  - 2027-13-01\n", "f.yaml:3: items[1]: not a real date: 2027-13-01"),
        ("flag: !!bool maybe\n", "f.yaml:1: flag: not a boolean (true or false): maybe"),
        ("n: !!int twelve\n", "f.yaml:1: n: not a whole number: twelve"),
        ("when: !!timestamp soon\n", "f.yaml:1: when: not a real date and time: soon"),
        ("n: " + "9" * 5000 + "\n", "f.yaml:1: n: not a whole number: 9999"),
    ],
)
def test_impossible_scalars_name_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(YamlSourceError) as info:
        parse_yaml(text, Path("f.yaml"))
    assert str(info.value).startswith(expected), str(info.value)


def test_real_dates_and_times_are_read() -> None:
    import datetime as dt

    doc = parse_yaml("d: 2028-02-29\nt: 2027-02-01T23:59:59\n", Path("f.yaml"))
    assert doc.data == {"d": dt.date(2028, 2, 29), "t": dt.datetime(2027, 2, 1, 23, 59, 59)}
