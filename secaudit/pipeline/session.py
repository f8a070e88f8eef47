"""One workspace opened for work: its configuration, catalog, services and database, each loaded once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secaudit.catalog import Catalog
    from secaudit.model import ClassificationScheme, Service
    from secaudit.store import Store
    from secaudit.workspace import Workspace


@dataclass
class Session:
    """A workspace found from ``workspace_path`` (or the current folder), with what it loads cached."""

    workspace_path: Path | None = None
    _workspace: Workspace | None = field(default=None, repr=False)
    _catalog: Catalog | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    def workspace(self) -> Workspace:
        """The workspace in force (found once per session)."""
        if self._workspace is None:
            from secaudit.workspace import find_workspace

            self._workspace = find_workspace(self.workspace_path)
        return self._workspace

    def optional_workspace(self) -> Workspace | None:
        """The workspace, or None when working outside one."""
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

    def auditor(self) -> str:
        """Who the audit log names as acting: the workspace's auditor, else secaudit itself."""
        return self.workspace().config.auditor or "secaudit"
