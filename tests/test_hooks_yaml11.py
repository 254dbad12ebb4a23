"""`git train lint-yaml`: plain values YAML 1.1 tools misread, located, each with a fix."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import Cli

from gittrain.adapters import yamlio
from gittrain.core import yaml11

SAMPLE = """\
lr: 2e-5
big: 1e6
flag: yes
off_switch: Off
mode: 0755
time: 1:30
quoted: "2e-5"
count: 1_000
neg: -.5
octal12: 0o17
unsigned_exp: 1.0e5
list: [on, 3, 2.0e-5]
anchor: &x 5
alias: *x
on: true
fine: 2.0e-5
---
second: 0b101
"""


def test_every_trap_is_found_with_its_line_and_fix(cli: Cli, tmp_path) -> None:
    (tmp_path / "train.yaml").write_text(SAMPLE)
    result = cli("lint-yaml", "train.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.out.splitlines() == [
        "train.yaml:1:5: error: 2e-5 is read as the string '2e-5' by YAML 1.1 tools (PyYAML); "
        "write 2.0e-5 [yaml11-float]",
        "train.yaml:2:6: error: 1e6 is read as the string '1e6' by YAML 1.1 tools (PyYAML); "
        "write 1.0e+6 [yaml11-float]",
        "train.yaml:3:7: error: yes is read as the boolean true by YAML 1.1 tools (PyYAML); "
        'write true (a boolean) or "yes" (a word) [yaml11-boolean]',
        "train.yaml:4:13: error: Off is read as the boolean false by YAML 1.1 tools (PyYAML); "
        'write false (a boolean) or "Off" (a word) [yaml11-boolean]',
        "train.yaml:5:7: error: 0755 is read as the octal number 493 by YAML 1.1 tools (PyYAML); "
        'write "0755" (text) or 493 (a number) [yaml11-octal]',
        "train.yaml:6:7: error: 1:30 is read as the base-60 number 90 by YAML 1.1 tools "
        '(PyYAML); write "1:30" (text) or 90 (a number) [yaml11-sexagesimal]',
        "train.yaml:8:8: error: 1_000 is read as the number 1000 by YAML 1.1 tools (PyYAML); "
        'write 1000 (a number) or "1_000" (text) [yaml11-number]',
        "train.yaml:9:6: error: -.5 is read as the string '-.5' by YAML 1.1 tools (PyYAML); "
        "write -0.5 [yaml11-float]",
        "train.yaml:10:10: error: 0o17 is read as the string '0o17' by YAML 1.1 tools (PyYAML); "
        "write 15 [yaml11-number]",
        "train.yaml:11:15: error: 1.0e5 is read as the string '1.0e5' by YAML 1.1 tools "
        "(PyYAML); write 1.0e+5 [yaml11-float]",
        "train.yaml:12:8: error: on is read as the boolean true by YAML 1.1 tools (PyYAML); "
        'write true (a boolean) or "on" (a word) [yaml11-boolean]',
        "train.yaml:18:9: error: 0b101 is read as the number 5 by YAML 1.1 tools (PyYAML); "
        'write 5 (a number) or "0b101" (text) [yaml11-number]',
    ]
    assert result.err == ""


@pytest.mark.parametrize(
    "text", ["2e-5", "1e6", "-.5", "1.0e5", "5E-7", "yes", "off", "0755", "1:30", "1_000", "0o17"]
)
def test_pyyaml_really_misreads_and_the_fix_reads_the_same_everywhere(text: str) -> None:
    found = yaml11.check(text)
    assert found is not None
    # The YAML 1.1 reading is what PyYAML itself gives.
    assert yaml.safe_load(f"v: {text}")["v"] == found.yaml11
    assert yamlio.load_text(f"v: {text}", "t").data == {"v": found.yaml12}
    fix = found.fix.split(" (")[0]
    assert yaml.safe_load(f"v: {fix}")["v"] == yamlio.load_text(f"v: {fix}", "t").data["v"]


@pytest.mark.parametrize("text", ["2.0e-5", "1.5", "42", "true", "null", "0x1f", "word", "09"])
def test_values_both_readings_agree_on_pass(text: str) -> None:
    assert yaml11.check(text) is None


def test_clean_file_no_files_and_json_output(cli: Cli, tmp_path) -> None:
    (tmp_path / "ok.yml").write_text("lr: 2.0e-5\nname: 'yes'\n")
    assert (cli("lint-yaml", "ok.yml", cwd=tmp_path).code, cli("lint-yaml", cwd=tmp_path).code) == (
        0,
        0,
    )
    (tmp_path / "b.yaml").write_text("a: 2e-5\n")
    result = cli("lint-yaml", "--format", "json", "ok.yml", "b.yaml", cwd=tmp_path)
    assert result.code == 1
    payload = json.loads(result.out)
    assert payload["files"] == 2
    assert [(p["file"], p["line"], p["rule"]) for p in payload["problems"]] == [
        ("b.yaml", 1, "yaml11-float")
    ]


def test_broken_and_missing_files_are_reported_not_raised(cli: Cli, tmp_path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    result = cli("lint-yaml", "bad.yaml", "gone.yaml", cwd=tmp_path)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("bad.yaml:2:1: error: ") and lines[0].endswith("[yaml]")
    assert lines[1] == "gone.yaml: error: no such file [io]"
    assert "Traceback" not in result.out + result.err
