"""The nets of the original report, transcribed from its code, and the variants built on them.

The first three classes are the original's code as printed, line for line; only the class
names differ (the original calls both Ciresan nets ``CiresanNet``). The classes after them are
variants the original describes in words but gives no code for; they follow the original's
code with the smallest change that makes the variant, and their choices are the project's
(FC layers 512 wide, the 4-conv net's pooling). The project's models must compute the same
function as these (tests/test_models.py copies the weights across and compares outputs).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class CustomAlexNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()

        self.conv1 = nn.Conv2d(in_channels=3, out_channels=64, kernel_size=11, padding=2, stride=4)
        self.conv2 = nn.Conv2d(in_channels=64, out_channels=196, kernel_size=5, padding=2)
        self.conv3 = nn.Conv2d(in_channels=196, out_channels=384, kernel_size=3, padding=1)
        self.conv4 = nn.Conv2d(in_channels=384, out_channels=256, kernel_size=3, padding=1)
        self.conv5 = nn.Conv2d(in_channels=256, out_channels=256, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(in_features=256*6*6, out_features=4096)
        self.fc2 = nn.Linear(in_features=4096, out_features=1024)
        self.fc3 = nn.Linear(in_features=1024, out_features=num_classes)

    def forward(self, x):

        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=0.5)
        x = F.relu(self.fc2(x))
        x = F.dropout(x, p=0.5)
        x = self.fc3(x)
        return x


class CiresanNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 48, kernel_size=5, stride=1, padding=2)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(48, 128, kernel_size=5, stride=1, padding=2)
        self.conv3 = nn.Conv2d(128, 192, kernel_size=5, stride=1, padding=2)
        self.conv4 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.conv5 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.conv6 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.conv7 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.fc1 = nn.Linear(192 * 3 * 3, 512)
        self.fc2 = nn.Linear(512, 512)
        self.fc3 = nn.Linear(512, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x))
        x = F.relu(self.conv6(x))
        x = F.relu(self.conv7(x))
        x = self.pool(x)
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


class ResidualCiresanNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 48, kernel_size=5, stride=1, padding=2)
        self.maxpool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(48, 128, kernel_size=5, stride=1, padding=2)
        self.conv3_1x1 = nn.Conv2d(128, 192, kernel_size=1, stride=1, padding=0)
        self.conv3 = nn.Conv2d(128, 192, kernel_size=5, stride=1, padding=2)
        self.conv4 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.conv5 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.conv6 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.conv7 = nn.Conv2d(192, 192, kernel_size=5, stride=1, padding=2)
        self.fc1 = nn.Linear(192 * 7 * 7, 512)
        self.fc2 = nn.Linear(512, 512)
        self.fc3 = nn.Linear(512, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.maxpool(x)
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x) + self.conv3_1x1(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x) + x)
        x = F.relu(self.conv6(x))
        x = F.relu(self.conv7(x) + x)
        x = self.maxpool(x)
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


# Variants the original describes without code. Each keeps the original's lines and changes one
# thing; the FC stack is fc1..fcN, N layers, 512 wide between the flattened maps and 10 classes.


def add_fc_layers(net: nn.Module, fc_in: int, fc_depth: int, num_classes: int = 10) -> None:
    widths = [fc_in] + [512] * (fc_depth - 1) + [num_classes]
    for number in range(1, fc_depth + 1):
        setattr(net, f"fc{number}", nn.Linear(widths[number - 1], widths[number]))
    net.fc_depth = fc_depth


def fc_layers(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    for number in range(1, net.fc_depth):
        x = F.relu(getattr(net, f"fc{number}")(x))
    return getattr(net, f"fc{net.fc_depth}")(x)


class ResidualCiresanNetFC(ResidualCiresanNet):
    """The residual net with ``fc_depth`` FC layers (the original reports 2, 4 and 5)."""

    def __init__(self, fc_depth: int):
        super().__init__()
        del self.fc1, self.fc2, self.fc3
        add_fc_layers(self, 192 * 7 * 7, fc_depth)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.maxpool(x)
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x) + self.conv3_1x1(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x) + x)
        x = F.relu(self.conv6(x))
        x = F.relu(self.conv7(x) + x)
        x = self.maxpool(x)
        x = torch.flatten(x, start_dim=1)
        return fc_layers(self, x)


class ResidualCiresanNetNoEarlyPool(ResidualCiresanNet):
    """The residual net without the max-pool after conv1 (the original's slow version, claim 4)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(192 * 14 * 14, 512)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x) + self.conv3_1x1(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x) + x)
        x = F.relu(self.conv6(x))
        x = F.relu(self.conv7(x) + x)
        x = self.maxpool(x)
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


class PlainTwin(CiresanNet):
    """CiresanNet pooled like the residual net (after conv1 and conv7), without its shortcuts."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(192 * 7 * 7, 512)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x))
        x = F.relu(self.conv6(x))
        x = F.relu(self.conv7(x))
        x = self.pool(x)
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


class FourConvCiresanNet(CiresanNet):
    """CiresanNet cut to 4 convs (conv5-7 gone), pooled after conv1, conv2 and conv4."""

    def __init__(self):
        super().__init__()
        del self.conv5, self.conv6, self.conv7

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = self.pool(x)
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


class FourConvCiresanNetNoPool2(FourConvCiresanNet):
    """The 4-conv net without the max-pool after conv2 (the default run's claim-4 stand-in)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(192 * 7 * 7, 512)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = self.pool(x)
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x
