"""Start-up shortcuts keep behaviour: precomputed rules, light records, lean imports."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from gittrain.commands import textconv as textconv_mod
from gittrain.core import importance, settings
from gittrain.core.diff import ItemKey, render
from gittrain.core.importance import Policy
from gittrain.core.resources import data_dir
from gittrain.document import Document

DRIVER = str(Path(sys.executable).parent / "git-train-textconv")


def yaml_policy() -> Policy:
    """The shipped dialects read the slow way, from the YAML people edit."""
    from gittrain.core.dialects import vocabulary

    slow = vocabulary.build(json.loads(json.dumps(vocabulary.source_documents())))
    return importance.defaults()._replace(vocabulary=slow)


def test_precomputed_vocabulary_equals_the_yaml() -> None:
    """Fails after an edit to the dialect data: run `python -m gittrain.core.dialects.vocabulary`."""
    assert importance.defaults() == yaml_policy()


def test_textconv_settings_file_name_is_the_settings_one() -> None:
    assert textconv_mod.SETTINGS_FILE == settings.SETTINGS_FILE


@pytest.mark.parametrize("recipe", sorted(p.name for p in data_dir("recipes").glob("*.yaml")))
def test_textconv_output_is_the_same_with_yaml_rules(recipe: str) -> None:
    path = data_dir("recipes") / recipe
    fast = textconv_mod.textconv(path, importance.defaults())
    slow = textconv_mod.textconv(path, yaml_policy())
    assert fast.text is not None
    assert fast == slow


def test_item_key_is_a_record_not_a_tuple() -> None:
    key = ItemKey("name", "gsm8k", 2)
    assert key == ItemKey("name", "gsm8k", 2)
    assert hash(key) == hash(ItemKey("name", "gsm8k", 2))
    assert key != ItemKey("name", "gsm8k", 3)
    assert key != ("name", "gsm8k", 2)
    assert repr(key) == "ItemKey(field='name', value='gsm8k', index=2)"
    assert render([key]) == '["gsm8k"]'
    with pytest.raises(AttributeError):
        key.index = 4  # type: ignore[misc]
    assert copy.deepcopy(key) == key
    assert pickle.loads(pickle.dumps(key)) == key


def test_records_still_copy_and_pickle() -> None:
    doc = Document("a.yaml", {"x": [1]})
    assert copy.deepcopy(doc) == doc
    assert pickle.loads(pickle.dumps(importance.defaults())) == importance.defaults()


def test_textconv_driver_imports_stay_lean(tmp_path: Path) -> None:
    """git runs the driver once per file: no dataclasses, pathlib, click or jsonschema."""
    config = tmp_path / "job.yaml"
    config.write_text("config:\n  learning_rate: 1.0e-6\n  optim: {name: adamw}\n")
    probe = (
        "import sys\n"
        f"sys.argv = ['git-train-textconv', {str(config)!r}]\n"
        "from gittrain.textconv_driver import main\n"
        "main()\n"
        "heavy = {'dataclasses', 'inspect', 'pathlib', 'click', 'jsonschema', 'git'}\n"
        "sys.stderr.write(' '.join(sorted(heavy & set(sys.modules))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert proc.stdout == 'config.learning_rate = 1e-06  # critical\nconfig.optim.name = "adamw"\n'
    assert proc.stderr == ""
