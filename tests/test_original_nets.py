"""The project's models compute the functions of the original report's code.

Each test copies a project model's weights into the transcription of the original net
(tests/original_nets.py) and compares the outputs in float64. The mutation tests show that
the comparison notices a moved shortcut, a dropped ReLU or a moved max-pool.
"""

import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import yaml
from snakemake.utils import update_config
from test_models import DEFAULT

from cnnstudy.models import build_model
from original_nets import (
    CiresanNet,
    CustomAlexNet,
    FourConvCiresanNet,
    FourConvCiresanNetNoPool2,
    PlainTwin,
    ResidualCiresanNet,
    ResidualCiresanNetFC,
    ResidualCiresanNetNoEarlyPool,
)

FULL = yaml.safe_load((Path(__file__).parents[1] / "config" / "full.yaml").read_text())

# (residual, conv layers, pools after, FC layers) of a CiresanNet spec -> its transcription
ORIGINALS = {
    (False, 7, (1, 2, 7), 3): CiresanNet,
    (True, 7, (1, 7), 3): ResidualCiresanNet,
    (True, 7, (1, 7), 1): lambda: ResidualCiresanNetFC(1),
    (True, 7, (1, 7), 2): lambda: ResidualCiresanNetFC(2),
    (True, 7, (1, 7), 4): lambda: ResidualCiresanNetFC(4),
    (True, 7, (1, 7), 5): lambda: ResidualCiresanNetFC(5),
    (True, 7, (7,), 3): ResidualCiresanNetNoEarlyPool,
    (False, 7, (1, 7), 3): PlainTwin,
    (False, 4, (1, 2, 4), 3): FourConvCiresanNet,
    (False, 4, (1, 4), 3): FourConvCiresanNetNoPool2,
}


def all_variants() -> dict[str, dict]:
    """Every trained variant of the default and the full study."""
    merged = yaml.safe_load(yaml.safe_dump(DEFAULT))
    update_config(merged, FULL)
    return {**DEFAULT["variants"], **merged["variants"]}


def layout(model) -> tuple:
    return (model.residual, len(model.convs), tuple(model.pool_after), len(model.fcs))


def original_names(state: dict) -> dict:
    """The project's parameter names in the original's: convs.i -> conv{i+1}, projection ->
    conv3_1x1, fcs.j -> fc{j+1}."""
    renamed = {}
    for name, value in state.items():
        name = re.sub(r"^convs\.(\d+)\.", lambda m: f"conv{int(m.group(1)) + 1}.", name)
        name = re.sub(r"^fcs\.(\d+)\.", lambda m: f"fc{int(m.group(1)) + 1}.", name)
        renamed[name.replace("projection.", "conv3_1x1.")] = value
    return renamed


def copied_into(original, project):
    """``original`` with the project model's weights (every parameter must find its place)."""
    original.load_state_dict(original_names(project.state_dict()), strict=True)
    return original.double().eval()


def outputs(model, x):
    with torch.no_grad():
        return model(x)


def project_model(spec):
    torch.manual_seed(0)
    return build_model(spec).double().eval()


DIGITS = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(1), dtype=torch.float64)

CIRESAN_VARIANTS = sorted(name for name, v in all_variants().items()
                          if v["model"]["family"] == "ciresan" and not v["model"].get("separable"))


@pytest.mark.parametrize("name", CIRESAN_VARIANTS)
def test_ciresan_variant_computes_the_original_function(name):
    project = project_model(all_variants()[name]["model"])
    assert layout(project) in ORIGINALS, f"{name}: no transcription of the original for layout {layout(project)}"
    original = copied_into(ORIGINALS[layout(project)](), project)
    torch.testing.assert_close(outputs(project, DIGITS), outputs(original, DIGITS), rtol=1e-10, atol=1e-10)


def test_the_variants_cover_every_original_net_in_code():
    layouts = {layout(project_model(all_variants()[name]["model"])) for name in CIRESAN_VARIANTS}
    assert set(ORIGINALS) <= layouts
    families = {v["model"]["family"] for v in all_variants().values()}
    assert families == {"ciresan", "resnet18"}
    separable = [n for n, v in all_variants().items() if v["model"].get("separable")]
    assert separable == ["ciresan-separable", "ciresan-4conv-separable"]  # the project's own: the original has no code


def test_fc_variant_transcription_with_three_layers_is_the_original():
    torch.manual_seed(0)
    three = ResidualCiresanNetFC(3).double().eval()
    original = ResidualCiresanNet().double().eval()
    original.load_state_dict(three.state_dict())
    torch.testing.assert_close(outputs(three, DIGITS), outputs(original, DIGITS), rtol=0, atol=0)


def test_alexnet_computes_the_original_function(monkeypatch):
    project = project_model({"family": "alexnet"})
    original = copied_into(CustomAlexNet(num_classes=1000), project)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    project.train()
    original.train()
    torch.manual_seed(3)
    trained = outputs(project, x)
    torch.manual_seed(3)
    torch.testing.assert_close(trained, outputs(original, x), rtol=1e-10, atol=1e-10)  # same dropout masks
    # In eval mode the original keeps dropout on (it omits training=self.training): ours is the
    # original's function with dropout removed.
    project.eval()
    monkeypatch.setattr(F, "dropout", lambda x, p=0.5, training=True, inplace=False: x)
    torch.testing.assert_close(outputs(project, x), outputs(original, x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stem, conv1, maxpool", [("7x7", (7, 2, 3), True), ("3x3", (3, 1, 1), True),
                                                  ("3x3", (3, 1, 1), False)])
def test_resnet18_is_torchvisions_with_the_chosen_stem(stem, conv1, maxpool):
    from torchvision.models import resnet18

    project = project_model({"family": "resnet18", "stem": stem, "stem_maxpool": maxpool})
    reference = resnet18(weights=None, num_classes=10)
    kernel, stride, padding = conv1
    reference.conv1 = torch.nn.Conv2d(1, 64, kernel_size=kernel, stride=stride, padding=padding, bias=False)
    if not maxpool:
        reference.maxpool = torch.nn.Identity()
    reference.load_state_dict(project.state_dict(), strict=True)
    reference.double().eval()
    torch.testing.assert_close(outputs(project, DIGITS), outputs(reference, DIGITS), rtol=1e-10, atol=1e-10)


# Mutants of the original nets: each changes one thing a wrong model could get wrong.


class SkipAroundPairs(ResidualCiresanNet):
    """Identity shortcuts around conv4+conv5 and conv6+conv7 instead of around conv5 and conv7."""

    def forward(self, x):
        x = self.maxpool(F.relu(self.conv1(x)))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x) + self.conv3_1x1(x))
        x = F.relu(self.conv5(F.relu(self.conv4(x))) + x)
        x = F.relu(self.conv7(F.relu(self.conv6(x))) + x)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(torch.flatten(self.maxpool(x), 1))))))


class NoReluAfterConv4(ResidualCiresanNet):
    def forward(self, x):
        x = self.maxpool(F.relu(self.conv1(x)))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x) + self.conv3_1x1(x))
        x = self.conv4(x)
        x = F.relu(self.conv5(x) + x)
        x = F.relu(self.conv6(x))
        x = F.relu(self.conv7(x) + x)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(torch.flatten(self.maxpool(x), 1))))))


class PoolAfterConv3(CiresanNet):
    """The plain net's second pool moved from after conv2 to after conv3 (same shapes)."""

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = F.relu(self.conv2(x))
        x = self.pool(F.relu(self.conv3(x)))
        for conv in (self.conv4, self.conv5, self.conv6, self.conv7):
            x = F.relu(conv(x))
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(torch.flatten(self.pool(x), 1))))))


class NoReluAfterFc1(CiresanNet):
    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        for conv in (self.conv3, self.conv4, self.conv5, self.conv6, self.conv7):
            x = F.relu(conv(x))
        return self.fc3(F.relu(self.fc2(self.fc1(torch.flatten(self.pool(x), 1)))))


@pytest.mark.parametrize("spec, mutant", [
    ({"family": "ciresan", "residual": True}, SkipAroundPairs),
    ({"family": "ciresan", "residual": True}, NoReluAfterConv4),
    ({"family": "ciresan"}, PoolAfterConv3),
    ({"family": "ciresan"}, NoReluAfterFc1),
])
def test_the_comparison_sees_a_moved_skip_a_dropped_relu_and_a_moved_pool(spec, mutant):
    project = project_model(spec)
    wrong = copied_into(mutant(), project)
    difference = (outputs(project, DIGITS) - outputs(wrong, DIGITS)).abs().max().item()
    assert difference > 1e-3
