"""The questionnaire workflow: workbooks out and in, terminal and file answers, status.

Nothing here prints or exits: the CLI (``secaudit.cli.questionnaire``) does.
"""

from secaudit.errors import InputError


class QuestionnaireError(InputError):
    """A workbook, answers file or answer was refused (exit 2)."""


class HostileWorkbookError(QuestionnaireError):
    """A file was refused before any spreadsheet parser saw it."""


__all__ = ["HostileWorkbookError", "QuestionnaireError"]
