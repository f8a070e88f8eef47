"""Packaging: the wheel carries the content folders and works from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if build.returncode != 0:
        pytest.fail(f"wheel build failed:\n{build.stdout}\n{build.stderr}")
    wheels = list(out.glob("secaudit-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_ships_the_content(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "secaudit/content/checklists/mic-baseline.yaml" in names
    assert "secaudit/content/scanners/baseline.yaml" in names
    assert "secaudit/content/reports/README.md" in names
    assert "secaudit/py.typed" in names
    # the portal's pages and style: `secaudit serve` from an installed wheel has them
    assert "secaudit/portal/templates/section.html.j2" in names
    assert "secaudit/portal/static/portal.css" in names
    # the schema's Alembic environment and revisions: an installed secaudit can make and upgrade a database
    assert "secaudit/store/schema_versions/env.py" in names
    assert "secaudit/store/schema_versions/versions/r0001_core.py" in names


def test_wheel_installs_into_a_fresh_venv_and_validates(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SECAUDIT_WORKSPACE")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=clean_env,
    )
    assert install.returncode == 0, install.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    tool = str(env_dir / "bin" / "secaudit")

    def installed(*args: str, cwd: Path = outside) -> subprocess.CompletedProcess[str]:
        """The installed secaudit, with nothing of this checkout in its environment."""
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        return subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False, env=env)

    result = installed("checklist", "validate")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("OK:")
    listing = installed("checklist", "list", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    assert '"mic-baseline"' in listing.stdout
    made = installed("init", "ws", "--organisation-ja", "試験市", "--organisation-en", "Test")
    assert made.returncode == 0, made.stderr
    current = installed("db", "current", "--format", "json", cwd=outside / "ws")  # the schema's revisions ship
    assert current.returncode == 0, current.stderr
    assert '"pending": []' in current.stdout
