import copy
from pathlib import Path

import pytest
import yaml

from cnnstudy.config import check_config, check_numbers, comparison_pairs, variant_seeds, variant_training
from cnnstudy.errors import ConfigError

ROOT = Path(__file__).parents[1]


@pytest.fixture
def config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def with_defaults(config):
    config = copy.deepcopy(config)
    config.setdefault("audit", {}).setdefault("models", {})
    for variant in config["variants"].values():
        variant.setdefault("train_data", "clean")
    return config


def test_default_config_passes(config):
    check_config(with_defaults(config))


@pytest.mark.parametrize("change, message", [
    (lambda c: c["run"].update(datasets=["nope"]), r"run.datasets: 'nope' is not defined"),
    (lambda c: c["variants"]["ciresan"].update(train_data="blur"), r"variants.ciresan.train_data: 'blur'"),
    (lambda c: c["variants"]["ciresan"]["model"].update(family="vgg"), r"variants.ciresan.model.family"),
    (lambda c: c["variants"].update(alex={"model": {"family": "alexnet"}, "train_data": "clean"}),
     r"variants.alex.model: trained variants take 1x28x28"),
    (lambda c: c["comparisons"].append({"variant": "x", "reference": "ciresan"}), r"comparisons\[1\].variant: 'x'"),
    (lambda c: c["datasets"].update(f={"source": "idx"}), r"datasets.f.path"),
    (lambda c: c["audit"]["models"].update(ciresan={"family": "alexnet"}), r"audit.models.ciresan: the name is taken"),
    (lambda c: c["variants"]["ciresan-4conv-elastic"].update(seeds=[10, 11]),
     r"claims.elastic.tests\[0\]: ciresan-4conv-elastic \(seeds \[10, 11\]\) and ciresan-4conv \(seeds \[0, 1, 2, 3, 4\]\) "
     r"share no seed"),
])
def test_cross_reference_errors_name_the_key(config, change, message):
    config = with_defaults(config)
    change(config)
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_variant_training_overrides(config):
    config["variants"]["ciresan"]["training"] = {"epochs": 9}
    merged = variant_training(config, "ciresan")
    assert merged["epochs"] == 9 and merged["batch_size"] == config["training"]["batch_size"]


def test_a_variant_trains_its_own_seeds_else_the_runs(config):
    config["run"]["seeds"] = [0, 1, 2]
    config["variants"]["ciresan-4conv-elastic"]["seeds"] = [0, 1, 2, 3, 4, 5, 6, 7]
    assert variant_seeds(config, "ciresan-4conv-elastic") == [0, 1, 2, 3, 4, 5, 6, 7]
    assert variant_seeds(config, "ciresan-4conv") == [0, 1, 2]
    check_config(with_defaults(config))  # they share seeds 0-2: the pair is judged on those


def test_comparison_pairs_are_unique_and_ordered(config):
    pairs = comparison_pairs(config)
    assert len(pairs) == len(set(pairs))
    assert pairs[0] == ("ciresan-separable", "ciresan")
    assert ("ciresan-4conv-elastic", "ciresan-4conv") in pairs


def test_a_pair_and_its_reverse_are_one_test(config):
    config["comparisons"].append({"variant": "resnet18", "reference": "ciresan"})
    pairs = comparison_pairs(config)
    assert ("resnet18", "ciresan") in pairs and ("ciresan", "resnet18") not in pairs


def test_full_study_trains_every_variant_on_all_its_digits():
    """config.yaml gives most variants a glimpse of training; the full study must undo it for each."""
    from cnnstudy.config import load_config

    config = load_config(ROOT, ROOT / "config" / "full.yaml")
    assert config["run"]["datasets"] == ["mnist"] and config["training"]["snapshots"] is False  # defaults filled
    for name in config["variants"]:
        training = variant_training(config, name)
        assert training["train_images"] is None and training["epochs"] >= config["training"]["epochs"], name


SCHEMA = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())


@pytest.mark.parametrize("change, message", [
    (lambda c: c["training"].update(lr=float("nan")), "training.lr: nan is not a finite number"),
    (lambda c: c["training"].update(momentum=float("inf")), "training.momentum: inf is not a finite number"),
    (lambda c: c["distortions"]["elastic"].update(sigma=float("-inf")), "distortions.elastic.sigma: -inf is not"),
    (lambda c: c["stats"].update(alpha=float("nan")), "stats.alpha: nan is not a finite number"),
    (lambda c: c["training"].update(epochs=2.0), r"training.epochs: 2.0 is not an integer \(write 2\)"),
    (lambda c: c["variants"]["ciresan"].update(training={"batch_size": 32.5}),
     "variants.ciresan.training.batch_size: 32.5 is not an integer"),  # through the $ref of $defs/training
    (lambda c: c["run"].update(seeds=[0, 1.0]), r"run.seeds\[1\]: 1.0 is not an integer"),
    (lambda c: c["audit"].update(separable_sweep={"points": [{"M": 8, "N": 8, "D_k": 3.0, "D_f": 7}]}),
     r"audit.separable_sweep.points\[0\].D_k: 3.0 is not an integer"),
])
def test_numbers_a_json_schema_lets_through_are_refused(config, change, message):
    config = copy.deepcopy(config)
    config.setdefault("stats", {})
    change(config)
    with pytest.raises(ConfigError, match=message):
        check_numbers(config, SCHEMA)


def test_floats_where_the_schema_takes_numbers_pass(config):
    config = copy.deepcopy(config)
    config["training"].update(lr=2.0, weight_decay=0)  # a float that is whole, where a number is asked for
    config["variants"]["ciresan"]["reported_accuracy"] = 1.0
    check_numbers(config, SCHEMA)
