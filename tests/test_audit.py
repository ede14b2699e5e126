from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from cnnstudy.audit import audit, conv_pair, count_macs, separable_costs, separable_sweep
from cnnstudy.models import build_model
from cnnstudy.specs import input_shape

DEFAULT = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())
SEED_ALEXNET_PARAMS = [23_296, 313_796, 677_760, 884_992, 590_080, 37_752_832, 4_195_328, 1_025_000]


@pytest.fixture(scope="module")
def alexnet_audit():
    spec = {"family": "alexnet"}
    return audit(build_model(spec), input_shape(spec))


def test_alexnet_matches_the_seed(alexnet_audit):
    rows, totals = alexnet_audit
    assert totals["params"] == 45_463_084
    assert totals["thop_macs"] == 705_535_424
    assert totals["macs"] == 705_535_424
    assert totals["flopcounter_flops"] == 2 * 705_535_424
    assert [row["params"] for row in rows] == SEED_ALEXNET_PARAMS
    assert [row["output_shape"] for row in rows[:5]] == [
        [-1, 64, 55, 55], [-1, 196, 27, 27], [-1, 384, 13, 13], [-1, 256, 13, 13], [-1, 256, 13, 13]]


def test_alexnet_memory_matches_torchsummary(alexnet_audit):
    _, totals = alexnet_audit
    assert [round(totals[k], 2) for k in ("input_mb", "forward_backward_mb", "params_mb", "total_mb")] == [
        0.57, 3.77, 173.43, 177.77]


def test_ciresan_matches_the_seed():
    _, totals = audit(build_model({"family": "ciresan"}), (1, 28, 28))
    assert totals["params"] == 5_609_770
    assert totals["macs"] == totals["thop_macs"] == 242_937_600


def test_separable_cost_formula_known_case():
    costs = separable_costs(128, 192, 3, 14)
    assert costs["regular_macs"] == 43_352_064
    assert costs["separable_macs"] == 5_042_688
    assert costs["separable_macs"] / costs["regular_macs"] == pytest.approx(1 / 192 + 1 / 9)
    regular, separable = conv_pair(128, 192, 3)
    example = torch.zeros(1, 128, 14, 14)
    assert count_macs(regular, example) == 43_352_064
    assert count_macs(separable, example) == 5_042_688


def test_sweep_rows_hold_analytic_counted_and_measured():
    [row] = separable_sweep([{"M": 8, "N": 16, "D_k": 3, "D_f": 7}], batch=2, repeats=2, warmup=1)
    assert row["counted_regular_macs"] == row["regular_macs"] == 9 * 8 * 16 * 49
    assert row["counted_separable_macs"] == row["separable_macs"]
    assert row["regular_params"] == 9 * 8 * 16 and row["separable_params"] == 9 * 8 + 8 * 16
    assert row["regular_ms"] > 0 and row["separable_ms"] > 0


@pytest.mark.parametrize("name", sorted(DEFAULT["variants"]) + sorted(DEFAULT["audit"]["models"]))
def test_hand_counter_and_flopcounter_agree(name):
    spec = {**DEFAULT["variants"], **DEFAULT["audit"]["models"]}[name]
    spec = spec.get("model", spec)
    rows, totals = audit(build_model(spec), input_shape(spec))
    assert totals["flopcounter_flops"] == 2 * totals["macs"]
    assert sum(row["macs"] for row in rows) == totals["macs"]
    assert totals["params"] == sum(p.numel() for p in build_model(spec).parameters())


class FunctionalNet(nn.Module):
    """Weights held directly, applied with functional calls and @ (invisible to thop)."""

    def __init__(self):
        super().__init__()
        self.kernel = nn.Parameter(torch.randn(4, 1, 3, 3))
        self.head = nn.Linear(4 * 26 * 26, 8)
        self.projection = nn.Parameter(torch.randn(8, 10))

    def forward(self, x):
        x = F.relu(F.conv2d(x, self.kernel))
        x = self.head(torch.flatten(x, 1))
        return x @ self.projection


def test_functional_ops_are_counted():
    rows, totals = audit(FunctionalNet(), (1, 28, 28))
    conv, matmul = 9 * 1 * 4 * 26 * 26, 8 * 10
    linear = 4 * 26 * 26 * 8
    assert totals["macs"] == conv + linear + matmul
    assert totals["flopcounter_flops"] == 2 * totals["macs"]
    assert totals["thop_macs"] == linear
    functional = [row for row in rows if row["type"].startswith("functional")]
    assert sorted(row["macs"] for row in functional) == sorted([conv, matmul])
    assert all("functional" in row["difference"] for row in functional)
    assert "thop sees nn modules only" in totals["thop_vs_hand"]


def test_resnet_difference_is_explained():
    rows, totals = audit(build_model({"family": "resnet18"}), (1, 28, 28))
    batchnorm = [row for row in rows if row["type"] == "BatchNorm2d"]
    assert batchnorm and all("affine norm" in row["difference"] for row in batchnorm)
    assert totals["thop_macs"] > totals["macs"]
    assert totals["thop_vs_hand"].startswith(f"+{totals['thop_macs'] - totals['macs']:,.0f} MACs")


def test_audit_leaves_the_model_untouched():
    model = build_model({"family": "ciresan", "conv_depth": 4})
    before = set(model.state_dict())
    audit(model, (1, 28, 28))
    assert set(model.state_dict()) == before
