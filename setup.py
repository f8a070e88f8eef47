"""Ship the top-level content folders inside the wheel as ``secaudit/content/``.

checklists/, scanners/ and reports/ are content that officers edit without
Python, so they live at the top of the repository; the build copies them into
the package so that a plain ``pip install`` finds them at run time.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONTENT = ("checklists", "scanners", "reports")


class BuildWithContent(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).parent
        for name in CONTENT:
            source = root / name
            if not source.is_dir():
                continue
            target = Path(self.build_lib) / "secaudit" / "content" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithContent})
