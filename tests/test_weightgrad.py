import pytest
import torch
from torch import nn

from cnnstudy import weightgrad
from cnnstudy.models import build_model
from cnnstudy.train import fit, seeded_model
from cnnstudy.weightgrad import conv2d_weight_grad, weight_grads_by_forward
from conftest import train_settings

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def any_cpu_routes(monkeypatch):
    """Routing is off on AMX CPUs; the tests check the routing itself, the same on every CPU."""
    monkeypatch.setattr(weightgrad, "cpu_lacks_amx", lambda: True)


@pytest.mark.parametrize("batch, c_in, c_out, height, width, kernel, padding", [
    (4, 3, 5, 7, 7, (5, 5), (2, 2)),  # CiresanNet's 'same' 5x5
    (3, 6, 4, 4, 4, (3, 3), (1, 1)),  # ResNet18's 3x3
    (2, 3, 2, 7, 6, (3, 5), (0, 1)),  # non-square kernel, uneven padding
    (2, 2, 3, 6, 6, (5, 5), (4, 4)),  # padding as large as the kernel allows
])
def test_weight_grad_as_a_forward_convolution_equals_torchs(batch, c_in, c_out, height, width, kernel, padding):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, c_in, height, width, generator=generator, dtype=torch.float64)
    weight = torch.randn(c_out, c_in, *kernel, generator=generator, dtype=torch.float64)
    out_h, out_w = height + 2 * padding[0] - kernel[0] + 1, width + 2 * padding[1] - kernel[1] + 1
    grad = torch.randn(batch, c_out, out_h, out_w, generator=generator, dtype=torch.float64)
    expected = torch.ops.aten.convolution_backward(grad, x, weight, None, [1, 1], list(padding), [1, 1], False,
                                                   [0, 0], 1, [False, True, False])[1]
    result = conv2d_weight_grad(x, grad, kernel, list(padding))
    assert result.shape == expected.shape
    torch.testing.assert_close(result, expected, rtol=0, atol=1e-10)


def backward_of(conv: nn.Module, x: torch.Tensor, precision: str = "bf16") -> str:
    with torch.autocast("cpu", dtype=torch.bfloat16), weight_grads_by_forward(CPU, precision):
        out = conv(x)
    return type(out.grad_fn).__name__ if out.grad_fn is not None else "none"


ROUTED = "_Conv2dForwardWeightGradBackward"


def test_only_small_maps_with_wide_weights_in_bf16_are_routed():
    conv = nn.Conv2d(96, 4, 5, padding=2)  # fan-in 96 x 5 x 5 = 2,400
    assert backward_of(conv, torch.randn(2, 96, 7, 7)) == ROUTED  # 49 output pixels
    assert backward_of(conv, torch.randn(2, 96, 8, 8)) != ROUTED  # 64: torch's kernel is as fast
    assert backward_of(nn.Conv2d(64, 4, 5, padding=2), torch.randn(2, 64, 7, 7)) != ROUTED  # fan-in 1,600
    assert backward_of(nn.Conv2d(256, 4, 3, padding=1), torch.randn(2, 256, 4, 4)) == ROUTED  # 2,304
    assert backward_of(nn.Conv2d(96, 4, 5, stride=2, padding=2), torch.randn(2, 96, 14, 14)) != ROUTED
    assert backward_of(nn.Conv2d(96, 4, 5, padding=2, groups=2), torch.randn(2, 96, 7, 7)) != ROUTED
    assert backward_of(nn.Conv2d(96, 4, 5, padding="same"), torch.randn(2, 96, 7, 7)) != ROUTED
    assert backward_of(conv, torch.randn(2, 96, 7, 7), precision="fp32") != ROUTED
    with torch.no_grad():
        assert backward_of(conv, torch.randn(2, 96, 7, 7)) == "none"
    conv.requires_grad_(False)
    assert backward_of(conv, torch.randn(2, 96, 7, 7, requires_grad=True)) != ROUTED


def test_no_routing_on_gpus_or_amx_cpus(monkeypatch):
    assert isinstance(weight_grads_by_forward(torch.device("cuda"), "bf16"), type(weight_grads_by_forward(CPU, "fp32")))
    monkeypatch.setattr(weightgrad, "cpu_lacks_amx", lambda: False)
    assert backward_of(nn.Conv2d(96, 4, 5, padding=2), torch.randn(2, 96, 7, 7)) != ROUTED


def gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor, routed: bool) -> dict[str, torch.Tensor]:
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16), weight_grads_by_forward(CPU, "bf16" if routed else "fp32"):
        loss = nn.functional.cross_entropy(model(x).float(), y)
    loss.backward()
    return {name: parameter.grad.clone() for name, parameter in model.named_parameters()}


def test_routed_training_step_matches_torchs_gradients():
    torch.manual_seed(0)
    # conv1 28x28 and conv2 14x14 stay with torch; conv3 runs on a 7x7 map and is routed
    model = build_model({"family": "ciresan", "conv_depth": 3, "fc_depth": 1, "pool_after": [1, 2]})
    model.to(memory_format=torch.channels_last)
    x = torch.randn(16, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    y = torch.arange(16) % 10
    native, routed = gradients(model, x, y, routed=False), gradients(model, x, y, routed=True)
    for name in native:
        if name.startswith("convs.2."):  # the routed layer: same maths, another summation order
            error = (routed[name] - native[name]).norm() / native[name].norm()
            assert error < 1e-2, (name, error)
        else:  # the rest of the backward pass is torch's own kernels on the same inputs
            assert torch.equal(routed[name], native[name]), name
        assert routed[name].dtype == torch.float32
        assert routed[name].stride() == dict(model.named_parameters())[name].stride(), name


def test_bf16_training_with_routed_layers_is_deterministic():
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 255, (64, 28, 28), generator=generator, dtype=torch.uint8)
    labels = (torch.arange(64) % 10).to(torch.uint8)
    spec = {"family": "ciresan", "conv_depth": 3, "fc_depth": 1, "pool_after": [1, 2, 3]}  # conv3 on 7x7
    settings = train_settings(epochs=2, batch_size=16, eval_batch_size=32)

    def train():
        model = seeded_model(spec, 0)
        return model, fit(model, images, labels, images[:32], labels[:32], settings, 0, CPU, "bf16",
                          log=lambda message: None)

    (model_a, history_a), (model_b, history_b) = train(), train()
    assert [row["train_loss"] for row in history_a] == [row["train_loss"] for row in history_b]
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        assert torch.equal(a, b), name
