from pathlib import Path

import pytest
import torch
import yaml

from cnnstudy.errors import ConfigError
from cnnstudy.models import CustomAlexNet, build_model
from cnnstudy.specs import check_spec, input_shape

DEFAULT = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())


@pytest.mark.parametrize("name", sorted(DEFAULT["variants"]))
def test_every_default_variant_maps_digits_to_ten_logits(name):
    spec = DEFAULT["variants"][name]["model"]
    model = build_model(spec).eval()
    with torch.no_grad():
        logits = model(torch.randn(3, 1, 28, 28))
    assert logits.shape == (3, 10)
    assert input_shape(spec) == (1, 28, 28)


def test_default_config_lists_the_original_reports_table_and_a_separable_net():
    variants = DEFAULT["variants"]
    reported = {v["reported_accuracy"] for v in variants.values() if v.get("reported_accuracy")}
    assert reported == {0.9896, 0.9932, 0.9922, 0.9919, 0.9942, 0.9898, 0.9928, 0.9943}
    assert any(v["model"].get("separable") for v in variants.values())


def test_alexnet_dropout_respects_eval_mode():
    torch.manual_seed(0)
    model = CustomAlexNet()
    x = torch.randn(2, 3, 224, 224)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
        model.train()
        assert not torch.equal(model(x), model(x))


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_fc_depth(depth):
    model = build_model({"family": "ciresan", "residual": True, "fc_depth": depth})
    assert len(model.fcs) == depth


def test_separable_replaces_each_5x5_after_the_first():
    model = build_model({"family": "ciresan", "separable": True})
    assert isinstance(model.convs[0], torch.nn.Conv2d)
    for block in list(model.convs)[1:]:
        depthwise, pointwise = block
        assert depthwise.groups == depthwise.in_channels and depthwise.kernel_size == (5, 5)
        assert pointwise.kernel_size == (1, 1)


@pytest.mark.parametrize("spec, message", [
    ({"family": "lenet"}, r"model.family: unknown model family 'lenet'"),
    ({"family": "ciresan", "depth": 7}, r"model.depth: unknown option for family 'ciresan'"),
    ({"family": "ciresan", "fc_depth": 6}, r"model.fc_depth: must be 1 to 5"),
    ({"family": "ciresan", "fc_depth": "3"}, r"model.fc_depth: expected int"),
    ({"family": "ciresan", "residual": True, "conv_depth": 4}, r"model.conv_depth: a residual CiresanNet needs 3 \+ 2k"),
    ({"family": "ciresan", "pool_after": [9]}, r"model.pool_after"),
    ({"family": "resnet18", "residual": True}, r"model.residual: unknown option for family 'resnet18'"),
    ({"conv_depth": 7}, r"needs a 'family'"),
])
def test_bad_specs_are_config_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        check_spec(spec)
