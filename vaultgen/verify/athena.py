"""The round trip's engine on the lake: the comparison queries in Trino's SQL, sent to Athena by awswrangler.

Where the queries run comes from the generated Athena profile (generated/athena/profiles.yml: work_group,
s3_staging_dir, region_name and schema, each an `env_var('NAME', 'default')` that is resolved here as dbt would)
or from flags, which win. awswrangler and boto3 are imported lazily: the rest of vaultgen.verify needs neither.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from vaultgen.errors import ExternalError, InputError, Location, Problem, VaultgenError

DIALECT = "trino"  # Athena engine version 3 speaks Trino's SQL
_ENV_VAR = re.compile(r"""^\{\{\s*env_var\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*(?:,\s*'([^']*)'\s*)?\)\s*\}\}$""")


class AthenaUnavailable(VaultgenError):
    """awswrangler is not installed."""


@dataclass(frozen=True)
class AthenaSettings:
    workgroup: str
    database: str  # the Glue database queries run in (tables are named with their own database anyway)
    s3_output: str  # where Athena writes query results
    region: str | None = None
    endpoint_url: str | None = None  # an Athena/S3/Glue stand-in (moto) for tests

    @staticmethod
    def resolve(profile_file: Path | None, workgroup: str | None = None, database: str | None = None, s3_output: str | None = None,
                region: str | None = None, endpoint_url: str | None = None, environ: dict[str, str] | None = None) -> "AthenaSettings":
        """Flags first, then the profile's values (their env_var() resolved against `environ`)."""
        profile = _profile_output(profile_file, os.environ if environ is None else environ) if profile_file is not None else {}
        settings = {
            "workgroup": workgroup or profile.get("work_group"),
            "database": database or profile.get("schema"),
            "s3_output": s3_output or profile.get("s3_staging_dir"),
        }
        missing = [name for name, value in settings.items() if not value]
        if missing:
            where = str(profile_file) if profile_file is not None else "the command line"
            raise InputError([Problem("VG140", f"no Athena {', '.join(missing)} given", Location(where),
                                     "render the Athena project (`vaultgen render`), or pass --workgroup, --athena-database and --s3-output")])
        if not str(settings["s3_output"]).startswith("s3://"):
            raise InputError([Problem("VG141", f"the Athena query result location '{settings['s3_output']}' is not an s3:// URL",
                                     Location(str(profile_file) if profile_file else "--s3-output"), "write it as s3://bucket/prefix/")])
        return AthenaSettings(str(settings["workgroup"]), str(settings["database"]), str(settings["s3_output"]),
                              region or profile.get("region_name"), endpoint_url)


def _profile_output(path: Path, environ: dict[str, str]) -> dict[str, str]:
    """The Athena output of a dbt profiles.yml, every `{{ env_var('X', 'default') }}` resolved."""
    from vaultgen.spec.yaml_source import read_yaml

    document, problems = read_yaml(path, str(path))
    if document is None or problems:
        raise InputError(problems or [Problem("VG140", "cannot read the Athena profile", Location(str(path)), "run `vaultgen render`")])
    outputs = [output for profile in (document.data or {}).values() if isinstance(profile, dict)
               for output in (profile.get("outputs") or {}).values() if isinstance(output, dict) and output.get("type") == "athena"]
    if not outputs:
        raise InputError([Problem("VG140", "the profile has no output of type athena", Location(str(path)),
                                 "render the Athena project (`vaultgen render` with athena in project.targets)")])
    resolved = {}
    for key, value in outputs[0].items():
        match = _ENV_VAR.match(str(value))
        resolved[key] = (environ.get(match.group(1), match.group(2) or "") if match else str(value))
    return resolved


@dataclass
class AthenaEngine:
    """Runs comparison queries on Athena with `wr.athena.read_sql_query` (the regular path: no CTAS, no UNLOAD,
    so nothing is written but Athena's own result files)."""

    settings: AthenaSettings
    dialect: str = DIALECT
    submitted: list[str] = field(default_factory=list)  # the SQL of every query sent, in order
    _session: Any = None

    def _wrangler(self):
        try:
            import awswrangler as wr
            import boto3
        except ImportError as error:
            raise AthenaUnavailable("awswrangler is not installed: pip install 'vaultgen[athena]'") from error
        if self._session is None:
            self._session = boto3.Session(region_name=self.settings.region)
            if self.settings.endpoint_url:
                wr.config.athena_endpoint_url = self.settings.endpoint_url
                wr.config.s3_endpoint_url = self.settings.endpoint_url
                wr.config.glue_endpoint_url = self.settings.endpoint_url
                wr.config.sts_endpoint_url = self.settings.endpoint_url
        return wr

    def sql(self, query: exp.Expression) -> str:
        return query.sql(self.dialect)

    def fetch(self, query: exp.Expression) -> list[tuple]:
        wr = self._wrangler()
        sql = self.sql(query)
        self.submitted.append(sql)
        try:
            with warnings.catch_warnings():  # awswrangler's deprecation warnings under pandas 3 are not the user's concern
                warnings.simplefilter("ignore")
                frame = wr.athena.read_sql_query(sql, database=self.settings.database, workgroup=self.settings.workgroup,
                                                 s3_output=self.settings.s3_output, ctas_approach=False, unload_approach=False,
                                                 keep_files=False, boto3_session=self._session)
        except Exception as error:  # noqa: BLE001 - botocore, awswrangler and S3 errors alike end the verification
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ExternalError(f"Athena query failed ({type(error).__name__}): {first}\n"
                                f"    workgroup {self.settings.workgroup}, database {self.settings.database}, results {self.settings.s3_output}\n"
                                "    hint: run with --debug for the traceback; `vaultgen verify --target athena --print-sql` prints every query") from error
        return [tuple(None if _is_missing(value) else value for value in row) for row in frame.itertuples(index=False, name=None)]


def _is_missing(value: Any) -> bool:
    try:
        import pandas

        return value is pandas.NA or value is pandas.NaT or (isinstance(value, float) and value != value)
    except ImportError:  # pragma: no cover - pandas comes with awswrangler
        return value is None
