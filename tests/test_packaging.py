"""The wheel ships recipes/ and schemas/, and an installed git-train finds them from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(out),
            str(PROJECT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (found,) = out.glob("gittrain-*.whl")
    return found


def test_wheel_contains_data_and_typing_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    recipes = {n for n in names if n.startswith("gittrain/recipes/") and n.endswith(".yaml")}
    schemas = {n for n in names if n.startswith("gittrain/schemas/") and n.endswith(".json")}
    assert len(recipes) == 9
    assert {"gittrain/schemas/job.schema.json", "gittrain/schemas/recipe.schema.json"} <= schemas
    assert "gittrain/py.typed" in names
    # textconv reads the rules' JSON form; without it the driver would print files unchanged.
    assert {
        "gittrain/data/ideas.yaml",
        "gittrain/data/vocabulary.json",
        "gittrain/data/dialects/verl.yaml",
        "gittrain/data/dialects/verl.keys",
    } <= names
    hooks = {"pre-commit", "prepare-commit-msg", "post-merge", "post-checkout"}
    assert {f"gittrain/hooks/{name}" for name in hooks} <= names  # `git train install --hooks`
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "git-train = gittrain.cli:script" in text
    assert "gittrain = gittrain.cli:script" in text


def test_installed_wheel_finds_its_data_from_any_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import gittrain, sys; from gittrain.cli import main; print(gittrain.__file__, file=sys.stderr); main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "recipe", "list", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(target) in proc.stderr  # the installed copy, not the checkout
    assert proc.stdout.count('"origin": "builtin"') == 9
    proc = subprocess.run(
        [sys.executable, "-c", code, "schema", "job", "--path"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        check=False,
    )
    assert proc.stdout.strip() == str(target / "gittrain/schemas/job.schema.json")
