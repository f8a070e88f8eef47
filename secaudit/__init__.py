"""secaudit: information-security compliance audits of online services."""

__version__ = "0.1.0"
