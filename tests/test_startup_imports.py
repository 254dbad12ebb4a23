"""The commit hooks and `data status` never import `dataclasses` (nor the hooks `inspect`).

Importing `dataclasses` pulls in inspect, ast, dis and tokenize (~6 ms), and each frozen
slotted dataclass costs ~0.5 ms to build: the records these paths load are NamedTuples or
slotted classes (gittrain/document.py).  Each run is a real process on a real repository,
through the same entry as the console script (`gittrain.cli.main`, which, unlike
`script()`, returns to its caller instead of ending the process).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import Repo
from hookhelp import GOOD_JOB, run

# Runs one command line, then reports what the process imported: every module, who first
# imported `dataclasses` and `inspect` (the nearest frame outside importlib), and the
# dataclasses that gittrain's own loaded modules define.
PROBE = """
import json, sys

importers = {}


class Watch:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in ("dataclasses", "inspect") and name not in importers:
            frame = sys._getframe(1)
            while frame is not None and frame.f_globals.get("__name__", "").startswith(
                ("importlib", "_frozen_importlib")
            ):
                frame = frame.f_back
            importers[name] = frame.f_globals.get("__name__") if frame else None
        return None


sys.meta_path.insert(0, Watch)
from gittrain.cli import main

try:
    main(sys.argv[1:])
    code = None
except SystemExit as exc:
    code = exc.code
own = [
    f"{name}.{value.__name__}"
    for name, module in sorted(sys.modules.items())
    if name.startswith("gittrain")
    for value in vars(module).values()
    if isinstance(value, type)
    and value.__module__ == name
    and "__dataclass_fields__" in value.__dict__
]
sys.stderr.write(
    "\\nPROBE " + json.dumps({"code": code, "modules": sorted(sys.modules),
    "importers": importers, "dataclasses": own}) + "\\n"
)
"""
SCHEMA_INVALID = GOOD_JOB.replace("num_gpus: 8", "num_gpus: -3")


def probe(repo: Repo, *argv: str) -> dict[str, object]:
    proc = run([sys.executable, "-c", PROBE, *argv], repo.root)
    head, _, tail = proc.stderr.rpartition("\nPROBE ")
    assert tail, proc.stderr
    found: dict[str, object] = json.loads(tail)
    found["stdout"], found["stderr"] = proc.stdout, head
    return found


def assert_lean(found: dict[str, object], *absent: str) -> None:
    modules = found["modules"]
    assert isinstance(modules, list)
    assert [m for m in absent if m in modules] == [], found["importers"]
    assert found["dataclasses"] == []


@pytest.fixture
def locked(repo: Repo) -> Repo:
    """A committed, locked dataset and settings; two good jobs that use it, staged."""
    repo.write("data/train.jsonl", '{"prompt": "1+1=", "answer": "2"}\n' * 20)
    added = run(["git-train", "data", "add", "data/train.jsonl", "--name", "train"], repo.root)
    assert added.returncode == 0, added.stderr
    repo.write(".gittrain.yaml", "version: 1\nrules:\n  lr-range: warning\n")
    repo.commit("data")
    for name in ("a", "b"):
        repo.write(f"jobs/{name}.yaml", GOOD_JOB.format(name=name, dataset="train"))
    repo.git("add", "-A")
    return repo


def test_the_pre_commit_hook_loads_no_dataclasses(locked: Repo) -> None:
    cold = probe(locked, "hook", "pre-commit")  # nothing parsed yet
    assert (cold["code"], cold["stderr"]) == (0, "")
    assert_lean(cold, "dataclasses", "inspect", "click")
    warm = probe(locked, "hook", "pre-commit")  # the parses cached under .git/gittrain
    assert warm["code"] == 0
    assert_lean(warm, "dataclasses", "inspect", "click")


def test_the_message_hook_loads_no_dataclasses(locked: Repo) -> None:
    message = locked.root / ".git" / "COMMIT_EDITMSG"
    message.write_text("subject\n")
    added = probe(locked, "hook", "prepare-commit-msg", str(message), "message")
    assert added["code"] == 0
    assert "Config-Changes:\n  jobs/a.yaml: added\n" in message.read_text()
    assert_lean(added, "dataclasses", "inspect", "click")
    # A changed job is rated and summarised row by row.
    locked.commit("jobs")
    path = locked.root / "jobs/a.yaml"
    path.write_text(path.read_text().replace("learning_rate: 1.0e-6", "learning_rate: 3.0e-6"))
    locked.git("add", "jobs/a.yaml")
    message.write_text("subject\n")
    changed = probe(locked, "hook", "prepare-commit-msg", str(message))
    assert changed["code"] == 0
    assert "  jobs/a.yaml: config.learning_rate 1e-06 → 3e-06" in message.read_text()
    assert_lean(changed, "dataclasses", "inspect", "click")


def test_a_blocked_commit_loads_no_dataclasses(locked: Repo) -> None:
    """The error paths: a failed sanity rule, an unlocked dataset, a changed one."""
    locked.write(
        "jobs/a.yaml",
        GOOD_JOB.format(name="a", dataset="train").replace("rollout_n: 8", "rollout_n: 1"),
    )
    locked.write("jobs/b.yaml", GOOD_JOB.format(name="b", dataset="data/other.jsonl"))
    locked.write("data/train.jsonl", '{"prompt": "1+1=", "answer": "3"}\n' * 20)
    locked.git("add", "jobs")
    found = probe(locked, "hook", "pre-commit")
    assert found["code"] == 1
    out = str(found["stdout"])
    assert "[rollout-n]" in out and "not in gittrain.lock" in out and "changed since" in out
    assert_lean(found, "dataclasses", "inspect", "click")


def test_a_schema_error_loads_dataclasses_only_through_jsonschema(locked: Repo) -> None:
    """Only an invalid document loads jsonschema (to word every error), whose imports bring
    `dataclasses` (through pprint) and `inspect` (through attrs): outside gittrain's reach,
    and gittrain's own modules still define no dataclass."""
    locked.write("jobs/a.yaml", SCHEMA_INVALID.format(name="a", dataset="train"))
    locked.git("add", "jobs/a.yaml")
    found = probe(locked, "hook", "pre-commit")
    assert found["code"] == 1
    assert "num_gpus: -3 is less than the minimum of 1 [schema]" in str(found["stdout"])
    assert "jsonschema" in found["modules"]  # type: ignore[operator]
    importers = found["importers"]
    assert isinstance(importers, dict)
    assert not str(importers["dataclasses"]).startswith("gittrain"), importers
    assert not str(importers["inspect"]).startswith("gittrain"), importers
    assert found["dataclasses"] == []


def test_data_status_loads_no_dataclasses(locked: Repo) -> None:
    """Click itself imports `inspect`; `dataclasses` is gittrain's to avoid."""
    locked.commit("jobs")
    parsed = locked.root / ".git" / "gittrain" / "parsed.json"
    parsed.unlink(missing_ok=True)
    cold = probe(locked, "data", "status")
    assert (cold["code"], cold["stderr"]) == (0, "")
    assert "train" in str(cold["stdout"])
    assert_lean(cold, "dataclasses")
    warm = probe(locked, "data", "status")
    assert warm["stdout"] == cold["stdout"]
    assert_lean(warm, "dataclasses")
    locked.write("data/train.jsonl", '{"prompt": "1+1=", "answer": "3"}\n' * 20)
    drifted = probe(locked, "data", "status")
    assert drifted["code"] == 1
    assert "modified" in str(drifted["stdout"])
    assert_lean(drifted, "dataclasses")


def test_the_probe_sees_a_command_that_loads_dataclasses(locked: Repo) -> None:
    """The checks above can fail: `data list` still builds dataclasses, and is seen to."""
    found = probe(locked, "data", "list")
    assert found["code"] == 0
    assert "gittrain.commands.data_list.Listed" in found["dataclasses"]  # type: ignore[operator]
    importers = found["importers"]
    assert isinstance(importers, dict)
    assert str(importers["dataclasses"]).startswith("gittrain.")


def test_pyyamls_unused_reader_pattern_compiles_only_when_used(tmp_path: Path) -> None:
    """gittrain parses with libyaml; PyYAML's pure-Python Reader compiles a ~5 ms pattern at
    import (yaml/pyyaml#124).  It waits until used, and then reads exactly as before."""
    code = (
        "import re, sys\n"
        "from gittrain.adapters import yamlio\n"
        "import yaml\n"
        "pattern = yaml.reader.Reader.NON_PRINTABLE\n"
        "print(isinstance(pattern, re.Pattern), re.compile is yamlio._compile)\n"
        "try:\n"
        "    yaml.load('a: b\\x01', Loader=yaml.SafeLoader)\n"
        "except yaml.reader.ReaderError as exc:\n"
        "    print(str(exc).splitlines()[0])\n"
        "print(yaml.load('a: \\u00e9\\U0001f600', Loader=yaml.SafeLoader) == {'a': '\\u00e9\\U0001f600'})\n"
        "print(pattern.search('ok\\x7f') is not None, pattern.pattern == re.compile(pattern.pattern).pattern)\n"
    )
    proc = run([sys.executable, "-c", code], tmp_path)
    assert proc.stdout.splitlines() == [
        "False True",
        "unacceptable character #x0001: special characters are not allowed",
        "True",
        "True True",
    ], proc.stderr
