"""Which files each pre-commit hook looks at, as the regexes `.pre-commit-hooks.yaml` uses."""

from __future__ import annotations

import re

from gittrain.core.settings import SETTINGS_FILE, Settings


def config_files_regex(settings: Settings) -> str:
    """Files `gittrain-validate` checks: config YAML/JSON under the watched directories."""
    dirs = "|".join(re.escape(d) for d in settings.watched_dirs)
    top = "|".join(re.escape(f) for f in (settings.lockfile, SETTINGS_FILE))
    return rf"^({dirs})/.*\.(ya?ml|json)$|^({top})$"


def job_files_regex(settings: Settings) -> str:
    """Files `gittrain-data` checks: the job files."""
    return rf"^{re.escape(settings.jobs_dir)}/[^/]*\.ya?ml$"
