"""Settings refused up front, before any allocation or training (issue 13): one sentence naming
the setting, exit 2 (or 5 for what the machine lacks). Through `reproduce --dry-run`."""

from __future__ import annotations

import math
import shutil

import pytest
from typer.testing import CliRunner

from artifact.cli.app import app
from tests.helpers import one_sentence, write_params

runner = CliRunner()


def dry_run(params, *extra: str):
    return runner.invoke(app, ["reproduce", "--params", str(params), "--profile", "smoke",
                               "--device", "cpu", "--dry-run", *extra])  # fmt: skip




BAD_SETTINGS = {
    "duplicate seeds": ({"train": {"seeds": [42, 42]}}, "train.seeds", "repeats 42"),
    "empty seeds": ({"train": {"seeds": []}}, "train.seeds", "is empty"),
    "duplicate datasets": ({"data": {"datasets": ["dsprites", "dsprites"]}}, "data.datasets", "repeats"),
    "empty datasets": ({"data": {"datasets": []}}, "data.datasets", "is empty"),
    "duplicate methods": ({"train": {"methods": ["topk", "topk"]}}, "train.methods", "repeats topk"),
    "empty methods": ({"train": {"methods": []}}, "train.methods", "is empty"),
    "extended method not trained": ({"train": {"methods": ["l1"], "extended": {"methods": ["topk"]}}},
                                    "'train'", "extended.methods topk not in methods"),
    "dead threshold above 1": ({"metrics": {"dead_threshold": 1.5}}, "metrics.dead_threshold", "less than 1"),
    "specialisation threshold 0": ({"metrics": {"specialisation_threshold": 0.0}},
                                   "metrics.specialisation_threshold", "greater than 0"),
    "sweep outside (0, 1)": ({"metrics": {"dead_sweep": [0.001, 1.0]}}, "metrics.dead_sweep", "less than 1"),
    "infinite lr": ({"train": {"lr": math.inf}}, "train.lr", "finite"),
    "nan lr": ({"train": {"lr": math.nan}}, "train.lr", "finite"),
    "max_images too small": ({"profiles": {"smoke": {"max_images": 4, "n_eval_samples": 1}}},
                             "max_images", "never vary"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_a_bad_setting_is_refused_before_training_naming_it(tmp_path, case):
    overrides, key, words = BAD_SETTINGS[case]
    result = dry_run(write_params(tmp_path, overrides))
    one_sentence(result, 2, key, words)
    assert not (tmp_path / "results").exists()


def test_the_repository_profiles_pass_the_checks(tmp_path):
    assert dry_run(write_params(tmp_path)).exit_code == 0


def test_a_width_whose_memory_the_machine_lacks_is_refused_on_cpu(tmp_path):
    params = write_params(tmp_path, {"model": {"conv_sae_width": 2**26},
                                     "profiles": {"smoke": {"sae_width_scale": 1.0}}})  # fmt: skip
    one_sentence(dry_run(params), 5, "GiB of memory", "is available")


def test_a_disk_short_of_the_checkpoints_is_refused_on_cpu_too(tmp_path, monkeypatch):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=1024))
    one_sentence(dry_run(write_params(tmp_path)), 5, "GiB of checkpoints")


@pytest.mark.parametrize(("content", "words"), [
    (b"", "is empty"),
    (b"# only a comment\n", "is empty"),
    (b"- profile: smoke\n- paths: {}\n", "holds a YAML list, not a mapping"),
    (b"just a string\n", "holds a single str"),
    (b"profile: sm\xf6ke\n", "is not UTF-8 text (byte 0xf6"),
])  # fmt: skip
def test_an_unusable_params_file_says_what_is_wrong_with_it(tmp_path, content, words):
    path = tmp_path / "params.yaml"
    path.write_bytes(content)
    one_sentence(dry_run(path), 2, str(path), words)


def test_a_params_path_that_is_a_directory_is_not_said_to_be_missing(tmp_path):
    one_sentence(dry_run(tmp_path), 2, "is a directory, not a file")
