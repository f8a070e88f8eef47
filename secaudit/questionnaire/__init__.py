"""The questionnaire workflow: workbooks out and in, terminal and file answers, status.

Nothing here prints or exits: the CLI (``secaudit.cli.questionnaire``) does.
"""

from secaudit.errors import InputError


class QuestionnaireError(InputError):
    """A workbook, answers file or answer was refused (exit 2)."""


__all__ = ["QuestionnaireError"]
