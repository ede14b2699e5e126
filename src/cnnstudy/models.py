"""Model registry: every architecture of the study is built from a plain config spec.

A spec is a dict such as ``{"family": "ciresan", "conv_depth": 7, "fc_depth": 3}``.
Variants are data, so a new ablation is a new config entry, never new code here.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudy.specs import Spec, check_spec


class CustomAlexNet(nn.Module):
    """The original report's custom AlexNet (3x224x224, audit only), with dropout that respects eval mode.

    The original calls ``F.dropout(x, p=0.5)`` without ``training=``, which keeps dropout on in
    eval mode; here it is switched off by ``model.eval()`` as it should be. In training mode the
    two compute the same function; counts are unchanged.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.dropout = dropout
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2)
        self.conv2 = nn.Conv2d(64, 196, kernel_size=5, padding=2)
        self.conv3 = nn.Conv2d(196, 384, kernel_size=3, padding=1)
        self.conv4 = nn.Conv2d(384, 256, kernel_size=3, padding=1)
        self.conv5 = nn.Conv2d(256, 256, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(256 * 6 * 6, 4096)
        self.fc2 = nn.Linear(4096, 1024)
        self.fc3 = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), kernel_size=3, stride=2)
        x = F.max_pool2d(F.relu(self.conv2(x)), kernel_size=3, stride=2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.max_pool2d(F.relu(self.conv5(x)), kernel_size=3, stride=2)
        x = torch.flatten(x, start_dim=1)
        x = F.dropout(F.relu(self.fc1(x)), p=self.dropout, training=self.training)
        x = F.dropout(F.relu(self.fc2(x)), p=self.dropout, training=self.training)
        return self.fc3(x)


def conv5x5(in_channels: int, out_channels: int, separable: bool) -> nn.Module:
    """A 5x5 'same' convolution, or its depth-wise + point-wise replacement."""
    if not separable:
        return nn.Conv2d(in_channels, out_channels, kernel_size=5, padding=2)
    return nn.Sequential(
        nn.Conv2d(in_channels, in_channels, kernel_size=5, padding=2, groups=in_channels, bias=False),
        nn.Conv2d(in_channels, out_channels, kernel_size=1),
    )


class CiresanNet(nn.Module):
    """The original report's CiresanNet family: 5x5 convs 1->48->128->192->192..., max-pools, FCs.

    Plain (the original's first net): pools after conv1, conv2 and the last conv (28->14->7->3).
    Residual (the original's second net): pools after conv1 and the last conv only (28->14->7);
    conv3 adds a 1x1 projection of its input, then the 192->192 convs come in pairs: a plain
    conv, then a conv with an identity shortcut around it alone (``relu(conv5(x) + x)``, where x
    is conv4's output). ``pool_after`` overrides the pooling layout (1-based conv indices).
    ``init="torch"`` keeps PyTorch's default init, which is what the original code used (it
    initialises nothing); ``"he"`` (the default) is Kaiming-normal with zero bias, without which
    the 7-conv nets (no normalisation) stay at chance for the first epochs of a short run.
    """

    def __init__(
        self,
        conv_depth: int = 7,
        residual: bool = False,
        fc_depth: int = 3,
        fc_width: int = 512,
        separable: bool = False,
        pool_after: list[int] | None = None,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: int = 28,
        init: str = "he",
    ):
        super().__init__()
        widths = [in_channels, 48, 128] + [192] * (conv_depth - 2)
        self.residual = residual
        self.convs = nn.ModuleList(
            nn.Conv2d(widths[0], widths[1], kernel_size=5, padding=2) if i == 0
            else conv5x5(widths[i], widths[i + 1], separable)
            for i in range(conv_depth)
        )
        self.projection = nn.Conv2d(128, 192, kernel_size=1) if residual else None
        if pool_after is None:
            pool_after = [1, conv_depth] if residual else [1, 2, conv_depth]
        self.pool_after = sorted(set(pool_after))
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        side = input_size
        for _ in self.pool_after:
            side //= 2
        fc_in = widths[-1] * side * side
        fc_widths = [fc_in] + [fc_width] * (fc_depth - 1) + [num_classes]
        self.fcs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(fc_widths[:-1], fc_widths[1:]))
        if init == "he":
            he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for index, conv in enumerate(self.convs, start=1):
            if self.residual and index == 3:
                x = self.relu(conv(x) + self.projection(x))
            elif self.residual and index > 3 and (index - 3) % 2 == 0:
                x = self.relu(conv(x) + x)
            else:
                x = self.relu(conv(x))
            if index in self.pool_after:
                x = self.pool(x)
        x = torch.flatten(x, start_dim=1)
        for fc in self.fcs[:-1]:
            x = self.relu(fc(x))
        return self.fcs[-1](x)


def he_init(model: nn.Module) -> None:
    """Kaiming-normal weights (fan-in, ReLU gain) and zero biases for every conv and linear."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def build_resnet18(in_channels: int = 1, num_classes: int = 10, stem: str = "3x3",
                   stem_maxpool: bool = True) -> nn.Module:
    """torchvision's ResNet18 from scratch, with a stem for 28x28 digits or torchvision's own.

    ``stem="7x7"`` is torchvision's ImageNet stem (7x7 stride-2 conv), which with its max-pool
    shrinks 28x28 digits to 7x7 before the first block and to 1x1 in the last stage; ``"3x3"``
    (the default) is a 3x3 stride-1 conv, the usual stem for small images, which keeps 14x14
    maps after the max-pool. ``stem_maxpool`` keeps or drops the stem's max-pool (4x the MACs
    without it). The original report does not say how its ResNet18 met 28x28 digits.
    """
    from torchvision.models import resnet18

    model = resnet18(weights=None, num_classes=num_classes)
    if stem == "3x3":
        model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    elif in_channels != 3:
        model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    if not stem_maxpool:
        model.maxpool = nn.Identity()
    return model


# family -> the function that builds it (cnnstudy.specs says which options each takes)
BUILDERS: dict[str, Callable[..., nn.Module]] = {"alexnet": CustomAlexNet, "ciresan": CiresanNet,
                                                 "resnet18": build_resnet18}


def build_model(spec: Spec, where: str = "model") -> nn.Module:
    """Build a fresh, randomly initialised model from its spec."""
    check_spec(spec, where)
    options = {k: v for k, v in spec.items() if k not in ("family", "input_size")}
    return BUILDERS[spec["family"]](**options)
