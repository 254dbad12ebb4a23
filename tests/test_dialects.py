"""Framework configs in their own shapes: each dialect's fixtures, read and checked as users commit them.

Every ``tests/fixtures/dialects/NAME/valid/*.yaml`` must validate with no
error and no warning in dialect NAME; every ``broken/*.yaml`` declares the
findings it must produce in ``# expect: RULE SEVERITY LINE`` header lines.
A sixth framework is one data file plus fixtures: nothing here names one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Cli, Repo

FIXTURES = Path(__file__).parent / "fixtures" / "dialects"
EXPECT = re.compile(r"#\s*expect:\s*(\S+)\s+(error|warning)\s+(\d+)")


def _cases(kind: str) -> list[pytest.param]:
    return [
        pytest.param(path, id=f"{path.parent.parent.name}/{path.stem}")
        for path in sorted(FIXTURES.glob(f"*/{kind}/*.yaml"))
    ]


def _validate(repo: Repo, cli: Cli, fixture: Path, *extra: str) -> dict[str, object]:
    rel = f"configs/{fixture.parent.parent.name}/{fixture.name}"
    repo.write(rel, fixture.read_bytes())
    result = cli("validate", "--format", "json", *extra, rel, cwd=repo.root)
    assert result.code in (0, 1), result
    report = json.loads(result.out)["files"][0]
    assert isinstance(report, dict)
    return report


def test_every_dialect_has_fixtures() -> None:
    from gittrain.core.dialects.vocabulary import shipped

    names = {d.name for d in shipped().frameworks}
    assert names == {"verl", "trl", "llamafactory", "axolotl", "torchtune"}
    for name in names:
        assert list((FIXTURES / name / "valid").glob("*.yaml")), name
        assert list((FIXTURES / name / "broken").glob("*.yaml")), name


@pytest.mark.parametrize("fixture", _cases("valid"))
def test_valid_fixture_is_clean(repo: Repo, cli: Cli, fixture: Path) -> None:
    report = _validate(repo, cli, fixture)
    assert report["dialect"] == fixture.parent.parent.name, report["dialect_reason"]
    assert report["problems"] == [], report["problems"]


@pytest.mark.parametrize("fixture", _cases("broken"))
def test_broken_fixture_gives_its_finding(repo: Repo, cli: Cli, fixture: Path) -> None:
    text = fixture.read_text("utf-8")
    expected = {(r, s, int(line)) for r, s, line in EXPECT.findall(text)}
    assert expected, f"{fixture}: no '# expect:' header"
    report = _validate(repo, cli, fixture)
    problems = report["problems"]
    assert isinstance(problems, list)
    found = {(p["rule"], p["severity"], p["line"]) for p in problems}
    assert expected <= found, problems
    # Nothing else is an error: one broken thing gives its own finding only.
    stray = {f for f in found - expected if f[1] == "error"}
    assert not stray, problems


def test_compiled_vocabulary_matches_the_data() -> None:
    """The compiled JSON files are the YAML data; regenerate with the module's main."""
    from gittrain.core.dialects import vocabulary

    data = json.loads(json.dumps(vocabulary.source_documents()))
    with open(vocabulary.COMPILED, encoding="utf-8") as handle:
        specs = json.load(handle)
    with open(vocabulary.COMPILED_KEYS, encoding="utf-8") as handle:
        keys = json.load(handle)
    hint = "run: python -m gittrain.core.dialects.vocabulary"
    generic = specs.pop("generic")
    assert specs == {
        "ideas": data["ideas"],
        "dialects": {n: e["spec"] for n, e in data["dialects"].items()},
    }, hint
    slow = vocabulary.build(data)
    own = [slow.get(n) for n in slow.names if n != vocabulary.GENERIC]
    assert vocabulary.generic_parts(own, slow.ideas) == (
        generic[0],
        generic[1],
    ), hint
    assert keys == {n: e["keys"] for n, e in data["dialects"].items()}, hint


def test_the_job_schema_names_every_framework_dialect() -> None:
    """A job's `framework:` is one of the shipped trainer dialects: the two lists are one."""
    from gittrain.core.dialects.vocabulary import shipped
    from gittrain.core.resources import data_dir

    schema = json.loads((data_dir("schemas") / "job.schema.json").read_text(encoding="utf-8"))
    assert tuple(schema["properties"]["framework"]["enum"]) == shipped().framework_names
