"""Allow ``python -m secaudit``."""

from secaudit.cli.app import main

main()
