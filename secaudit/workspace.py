"""Finding the workspace, reading ``secaudit.yaml``, and where content lives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from secaudit.atomic import PRIVATE_DIR, atomic_write_text, private_dir
from secaudit.catalog import Layer, yaml_files
from secaudit.errors import WorkspaceError
from secaudit.model import Language, RiskMatrixKind, WorkspaceConfig
from secaudit.yamlsource import YamlSourceError, load_yaml

CONFIG_NAME = "secaudit.yaml"
DATABASE_URL_ENV = "SECAUDIT_DATABASE_URL"
"""Names the database instead of ``database_url`` in ``secaudit.yaml`` (a shared PostgreSQL, e.g. for workers)."""
BROKER_URL_ENV = "SECAUDIT_BROKER_URL"
"""Names the workers' broker instead of ``scan.broker_url`` in ``secaudit.yaml`` (keeps a password out of it)."""
DATA_DIR = ".secaudit"
ENV_VAR = "SECAUDIT_WORKSPACE"
CONTENT_KINDS = ("checklists", "scanners", "reports")

_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_dir(kind: str) -> Path:
    """The shipped content folder ``kind`` (checklists, scanners or reports).

    In an installed wheel it is ``secaudit/content/<kind>``; in a source
    checkout it is the top-level folder of the repository.
    """
    if kind not in CONTENT_KINDS:
        raise ValueError(f"unknown content kind {kind!r}")
    packaged = _PACKAGE_DIR / "content" / kind
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / kind


def builtin_layer(kinds: tuple[str, ...] = ("checklists", "scanners")) -> Layer:
    """The shipped checklists and scanners as one catalog layer."""
    return Layer("built-in", tuple(yaml_files(builtin_dir(k) for k in kinds)))


@dataclass(frozen=True)
class Workspace:
    """A folder with ``secaudit.yaml``, services and the private data folder."""

    root: Path
    config: WorkspaceConfig

    @property
    def services_dir(self) -> Path:
        """Where ``<id>.yaml`` service files live."""
        return self.root / "services"

    @property
    def data_dir(self) -> Path:
        """The private folder for the database, archives and evidence (0700)."""
        return self.root / DATA_DIR

    @property
    def database_url(self) -> str:
        """The database to use: ``$SECAUDIT_DATABASE_URL``, else ``database_url`` from the config, else SQLite in
        ``.secaudit/`` (a shared installation sets one of the first two to ``postgresql+psycopg://...``)."""
        return (
            os.environ.get(DATABASE_URL_ENV) or self.config.database_url or f"sqlite:///{self.data_dir / 'secaudit.db'}"
        )

    @property
    def broker_url(self) -> str | None:
        """The zone workers' broker: ``$SECAUDIT_BROKER_URL``, else ``scan.broker_url`` from the config, else None."""
        return os.environ.get(BROKER_URL_ENV) or self.config.scan.broker_url

    def local_dir(self, kind: str) -> Path:
        """The workspace's own ``checklists/``, ``scanners/`` or ``reports/``."""
        return self.root / kind

    def catalog_layers(self) -> list[Layer]:
        """Built-in content first, then the workspace's additions and overrides."""
        local = yaml_files(d for k in ("checklists", "scanners") if (d := self.local_dir(k)).is_dir())
        return [builtin_layer(), Layer("workspace", tuple(local))]

    def ensure_data_dir(self) -> Path:
        """Create ``.secaudit/`` with mode 0700 if it is missing."""
        return private_dir(self.data_dir)


def load_config(path: Path) -> WorkspaceConfig:
    """Read and validate ``secaudit.yaml``."""
    try:
        doc = load_yaml(path)
        return doc.validate(WorkspaceConfig)
    except YamlSourceError as exc:
        raise WorkspaceError(f"invalid workspace configuration {path}", exc.problems) from None


def find_workspace(explicit: Path | None = None, start: Path | None = None) -> Workspace:
    """The workspace named by ``explicit``, ``$SECAUDIT_WORKSPACE``, or found walking up from ``start``."""
    chosen = explicit or (Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else None)
    if chosen is not None:
        config = chosen / CONFIG_NAME
        if not config.is_file():
            raise WorkspaceError(f"{chosen}: not a secaudit workspace (no {CONFIG_NAME}); run 'secaudit init {chosen}'")
        return Workspace(chosen.resolve(), load_config(config))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        config = folder / CONFIG_NAME
        if config.is_file():
            return Workspace(folder, load_config(config))
    raise WorkspaceError(
        f"no {CONFIG_NAME} in {here} or any folder above it; run 'secaudit init DIR', "
        f"or name one with --workspace or ${ENV_VAR}"
    )


CONFIG_TEMPLATE = """\
# secaudit workspace configuration.
# Every key is optional except organisation; the values below are the defaults.

organisation: {{ja: "{org_ja}", en: "{org_en}"}}

# Language of reports and questionnaires unless a command says otherwise: ja or en.
language: {language}
timezone: Asia/Tokyo

# Risk matrix: 5x5 (Low / Medium / High / Critical) or 3x3 (低 / 中 / 高).
risk_matrix: "{risk_matrix}"

# Which edition of the MIC guideline the services' 機密性 follows:
#   r6  令和6年10月版 onward: 3A, 3B, 3C, 2, 1 (3A the most sensitive)
#   r4  令和4年版 and earlier: 3, 2, 1
classification_scheme: r6

# Launch gate: NO-GO while an open risk is at or above block_at, while required
# answers are missing, or while a required scan is missing, errored or older than
# max_scan_age_days; CONDITIONAL while risks at conditional_at are open with a plan.
gate:
  block_at: high
  conditional_at: medium
  require_answers: true
  require_scan: true
  max_scan_age_days: 30

scan:
  default_profile: standard
  # Addresses never scanned, whatever a service declares (link-local and cloud
  # metadata addresses are always refused).
  denylist: []
  cert_expiry_warning_days: 30
  # Longest validity accepted for certificates of a private CA named in a target's
  # ca_bundle (public certificates follow the CA/Browser Forum schedule, SC-081).
  # private_ca_max_lifespan_days: 825
  # Where scan --due / --all scan: here (local) or on the zone workers (celery; see
  # docs/workers.md). The broker comes from SECAUDIT_BROKER_URL, kept out of this file.
  dispatch: local
  # dispatch_deadline_s: 3600   # how long a dispatched batch waits for the workers
  # worker_redelivery_s: 3600   # a dead worker's order goes to another worker after this

# notifications:
#   smtp:
#     host: smtp.city.example.jp
#     port: 587
#     starttls: true
#     username: secaudit
#     password_env: SECAUDIT_SMTP_PASSWORD   # never write the password here
#     sender: secaudit@city.example.jp
#   webhook:
#     url: https://chat.city.example.jp/hooks/secaudit
"""

EXAMPLE_SERVICE = """\
# One file per online service: services/<id>.yaml, where <id> matches the id below.
id: example-portal
name: {ja: 施設予約オンライン申請, en: Facility booking online application}
department: 市民協働部
owner: {name: 所管課 担当者, email: owner@city.example.jp}
security_officer: {name: 情報セキュリティ担当, email: security@city.example.jp}
launch_date: 2027-04-01
# MIC classification: confidentiality 3A, 3B, 3C, 2 or 1 (3, 2 or 1 when secaudit.yaml says
# classification_scheme: r4), integrity 2 or 1, availability 2 or 1.
classification: {confidentiality: 2, integrity: 2, availability: 1}
# These attributes decide which controls apply (see 'secaudit checklist soa').
attributes:
  internet_facing: true
  personal_data: true
  mynumber: false
  payment: false
  cloud: saas            # none, iaas, paas or saas
  outsourced: true
  network_tier: internet # internet, lgwan or mynumber
  standard_system: false # is, or exchanges data with, a 標準準拠システム
  gov_cloud: false       # runs on ガバメントクラウド
  generative_ai: false   # generative AI used by staff or offered to residents
  remote_access: false   # reached from outside the offices (telework, VPN, remote maintenance)
# What may be scanned, on whose authority and until when. Only these targets are
# ever touched; a hostname must resolve to the listed addresses.
scope:
  authorized_by: 情報政策課長
  authorized_until: 2027-03-31
  targets:
    - host: localhost
      addresses: [127.0.0.1]
      ports: [8443]
    - url: https://localhost:8443/
# Scheduled scans (cron syntax, workspace time zone): Mondays 03:00.
schedule: "0 3 * * 1"
checklists: [mic-baseline]
"""


def init_workspace(
    root: Path,
    organisation_ja: str = "〇〇市",
    organisation_en: str = "Example City",
    language: Language = Language.JA,
    risk_matrix: RiskMatrixKind = RiskMatrixKind.FIVE,
) -> Workspace:
    """Create a workspace in ``root``; refuse to overwrite an existing one."""
    config_path = root / CONFIG_NAME
    if config_path.exists():
        raise WorkspaceError(f"{config_path} already exists; not overwriting a workspace")
    for value in (organisation_ja, organisation_en):
        if '"' in value or "\\" in value or "\n" in value:
            raise WorkspaceError("organisation names must not contain quotes, backslashes or line breaks")
    root.mkdir(parents=True, exist_ok=True)
    text = CONFIG_TEMPLATE.format(
        org_ja=organisation_ja, org_en=organisation_en, language=language.value, risk_matrix=risk_matrix.value
    )
    atomic_write_text(config_path, text)
    (root / "services").mkdir(exist_ok=True)
    example = root / "services" / "example-portal.yaml"
    if not example.exists():
        atomic_write_text(example, EXAMPLE_SERVICE)
    private_dir(root / DATA_DIR)
    os.chmod(root / DATA_DIR, PRIVATE_DIR)
    return Workspace(root.resolve(), load_config(config_path))
