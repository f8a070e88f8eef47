"""What every command shares: the workspace, the catalog, output and error reporting."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from secaudit.catalog import Catalog
    from secaudit.model import ClassificationScheme, Service
    from secaudit.store import Store
    from secaudit.workspace import Workspace


class OutputFormat(StrEnum):
    """Output formats of listing commands."""

    TABLE = "table"
    JSON = "json"


@dataclass
class AppState:
    """Options given before the command, shared through the Click context."""

    workspace_path: Path | None = None
    debug: bool = False
    _workspace: Workspace | None = field(default=None, repr=False)
    _catalog: Catalog | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    def workspace(self) -> Workspace:
        """The workspace in force (found once per command)."""
        if self._workspace is None:
            from secaudit.workspace import find_workspace

            self._workspace = find_workspace(self.workspace_path)
        return self._workspace

    def optional_workspace(self) -> Workspace | None:
        """The workspace, or None when the command runs outside one."""
        from secaudit.errors import WorkspaceError

        try:
            return self.workspace()
        except WorkspaceError:
            if self.workspace_path is not None:
                raise
            return None

    def catalog(self) -> Catalog:
        """Built-in content plus the workspace's own, loaded once."""
        if self._catalog is None:
            from secaudit.catalog_cache import cached_catalog
            from secaudit.workspace import builtin_layer

            ws = self.optional_workspace()
            if ws is None:
                self._catalog = cached_catalog([builtin_layer()], None)
            else:
                self._catalog = cached_catalog(ws.catalog_layers(), ws.data_dir)
        return self._catalog

    def service(self, service_id: str) -> Service:
        """The workspace's service ``service_id``, its checklists checked against the catalog in force."""
        from secaudit.inventory import find_service

        ws = self.workspace()
        return find_service(ws.services_dir, service_id, self.catalog().checklists, ws.config.classification_scheme)

    def services(self) -> list[Service]:
        """Every service of the workspace, checked like ``service``; all problems reported together."""
        from secaudit.inventory import load_services

        ws = self.workspace()
        return load_services(ws.services_dir, self.catalog().checklists, ws.config.classification_scheme)

    def classification_scheme(self) -> ClassificationScheme:
        """The workspace's classification scheme; the default (令和6年10月版) outside a workspace."""
        from secaudit.model import WorkspaceConfig

        ws = self.optional_workspace()
        if ws is not None:
            return ws.config.classification_scheme
        default: ClassificationScheme = WorkspaceConfig.model_fields["classification_scheme"].default
        return default

    def store(self) -> Store:
        """The workspace database, migrated to the current schema."""
        if self._store is None:
            from secaudit.store import open_store

            ws = self.workspace()
            ws.ensure_data_dir()
            self._store = open_store(ws.database_url)
        return self._store


def state(ctx: typer.Context) -> AppState:
    """The AppState of the running command."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


_consoles: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """A Rich console on stdout (or stderr); plain when not on a terminal."""
    if stderr not in _consoles:
        from rich.console import Console

        stream = sys.stderr if stderr else sys.stdout
        # Piped output (cron logs, files) is read whole: do not squeeze tables into 80 columns.
        width = None if stream.isatty() else 160
        _consoles[stderr] = Console(stderr=stderr, highlight=False, width=width, soft_wrap=width is not None)
    return _consoles[stderr]


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn(message: str) -> None:
    """One warning line on stderr."""
    typer.echo(f"warning: {message}", err=True)


def info(message: str) -> None:
    """One progress or result line on stderr, so stdout stays machine-readable."""
    typer.echo(message, err=True)
