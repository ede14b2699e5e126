import math

import pytest
import torch
from torch import nn

from cnnstudy.errors import DivergenceError
from cnnstudy.train import epoch_images, fit, learning_rate, seeded_model
from conftest import train_settings

CPU = torch.device("cpu")
TINY = {"family": "ciresan", "conv_depth": 3, "fc_depth": 1, "pool_after": [1, 2, 3]}
TINY_SEPARABLE = {**TINY, "separable": True}  # trains channels_last in fp32


def tiny_data(count=96, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % 10
    images = torch.randint(0, 40, (count, 28, 28), generator=generator, dtype=torch.uint8)
    for i, label in enumerate(labels):  # a bright bar whose row encodes the class
        images[i, 2 + 2 * label, 4:24] = 255
    return images, labels.to(torch.uint8)


def run(epochs=3, seed=0, spec=TINY, **extra):
    images, labels = tiny_data()
    settings = train_settings(epochs=epochs, batch_size=32, lr=3e-3, eval_batch_size=50)
    model = seeded_model(spec, seed)
    history = fit(model, images, labels, images[:40], labels[:40], settings, seed, CPU, "fp32",
                  log=lambda message: None, **extra)
    return model, history


def test_tiny_model_overfits_a_small_batch():
    images, labels = tiny_data(32)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    settings = train_settings(epochs=60, batch_size=32, lr=1e-2, schedule="constant", weight_decay=0)
    history = fit(model, images, labels, images, labels, settings, seed=0, device=CPU, precision="fp32",
                  log=lambda message: None)
    assert history[-1]["train_accuracy"] == 1.0
    assert history[-1]["val_accuracy"] == 1.0
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 10


@pytest.mark.parametrize("spec", [TINY, TINY_SEPARABLE], ids=["plain", "separable"])
def test_same_seed_gives_identical_history_and_weights(spec):
    model_a, history_a = run(spec=spec)
    model_b, history_b = run(spec=spec)
    strip = lambda h: [{k: v for k, v in row.items() if k != "seconds"} for row in h]  # noqa: E731
    assert strip(history_a) == strip(history_b)
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        assert torch.equal(a, b), name
    _, history_c = run(seed=1, spec=spec)
    assert strip(history_c) != strip(history_a)


def test_resume_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    resume = tmp_path / "resume.pt"

    def killed_after_epoch_2(epoch, model, row):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(epochs=4, resume_file=resume, resume_key="k", on_epoch_end=killed_after_epoch_2)
    assert resume.exists()
    assert torch.load(resume, weights_only=True)["epoch"] == 2
    messages, seen = [], []
    images, labels = tiny_data()
    settings = train_settings(epochs=4, batch_size=32, lr=3e-3, eval_batch_size=50)
    resumed = seeded_model(TINY, 0)
    history = fit(resumed, images, labels, images[:40], labels[:40], settings, 0, CPU, "fp32", resume_file=resume,
                  resume_key="k", log=messages.append, progress=seen.append)
    assert any("resuming after epoch 2" in m for m in messages)
    assert seen[0] == 2 * len(labels) and sum(seen) == 4 * len(labels)  # the bar starts where it resumed
    assert len([m for m in messages if m.startswith("epoch")]) == 2  # only epochs 3 and 4 ran again
    straight, straight_history = run(epochs=4)
    assert [row["val_accuracy"] for row in history] == [row["val_accuracy"] for row in straight_history]
    assert [row["train_loss"] for row in history] == [row["train_loss"] for row in straight_history]
    for a, b in zip(resumed.state_dict().values(), straight.state_dict().values()):
        assert torch.equal(a, b)


def test_resume_state_of_other_settings_is_ignored(tmp_path):
    resume = tmp_path / "resume.pt"
    run(epochs=1, resume_file=resume, resume_key="old")
    messages = []
    images, labels = tiny_data()
    fit(seeded_model(TINY, 0), images, labels, images, labels, train_settings(epochs=1, batch_size=32), 0, CPU,
        "fp32", resume_file=resume, resume_key="new", log=messages.append)
    assert any("belongs to other settings" in m for m in messages)


class Exploding(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x):
        return self.linear(x.flatten(1)) * float("nan")


def test_nan_loss_stops_training_with_a_clear_message(tmp_path):
    images, labels = tiny_data(64)
    resume = tmp_path / "resume.pt"
    with pytest.raises(DivergenceError, match=r"training diverged: training loss is nan in epoch 1 .*lower training.lr"):
        fit(Exploding(), images, labels, images, labels, train_settings(epochs=2, batch_size=32), seed=0,
            device=CPU, precision="fp32", resume_file=resume, log=lambda m: None)
    assert not resume.exists()


def test_divergence_in_the_last_step_stops_training(tmp_path):
    images, labels = tiny_data(32)
    resume = tmp_path / "resume.pt"
    # one step per epoch: its loss is finite, only the update it makes is not
    with pytest.raises(DivergenceError, match=r"training diverged: largest weight is (nan|inf) in epoch 1 .*lower training.lr"):
        fit(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), images, labels, images, labels,
            train_settings(epochs=1, batch_size=32, lr=float("inf"), schedule="constant"), seed=0,
            device=CPU, precision="fp32", resume_file=resume, log=lambda m: None)
    assert not resume.exists()


def test_distorted_copies_rotate_per_epoch():
    images, labels = tiny_data(40)
    copies = torch.stack([images, torch.zeros_like(images)])
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(784, 10)

        def forward(self, x):
            if self.training:
                seen.append(float(x.std()))
            return self.linear(x.flatten(1))

    fit(Spy(), images, labels, images, labels, train_settings(epochs=2, batch_size=40), seed=0, device=CPU,
        precision="fp32", distorted=copies, log=lambda m: None)
    assert seen[0] > 0.1 and seen[1] < 1e-6  # epoch 2 trains on the (blank) second copy


def test_distorted_share_mixes_clean_digits_in_anew_each_epoch():
    images, labels = tiny_data(400)
    blank = [torch.zeros_like(images), torch.zeros_like(images)]
    blank_rows = []
    for epoch in (1, 2):
        mixed = epoch_images(images, blank, epoch, seed=0, share=0.25)
        blank_rows.append(mixed.flatten(1).abs().sum(1) == 0)
        clean_rows = ~blank_rows[-1]
        assert torch.equal(mixed[clean_rows], images[clean_rows])
        assert 0.15 < blank_rows[-1].float().mean() < 0.35  # about a quarter distorted
        assert torch.equal(epoch_images(images, blank, epoch, seed=0, share=0.25), mixed)  # reproducible
    assert not torch.equal(blank_rows[0], blank_rows[1])  # other digits each epoch
    assert epoch_images(images, blank, 1, seed=0, share=1.0) is blank[0]  # the default: distorted only


def test_onecycle_schedule_shape():
    settings = train_settings(lr=1.0, schedule="onecycle")
    rates = [learning_rate(settings, step, 100) for step in range(100)]
    assert rates[0] == pytest.approx(0.1) and max(rates) == pytest.approx(1.0, abs=0.01)
    assert rates[-1] < 0.01
    assert learning_rate(train_settings(lr=0.5, schedule="constant"), 7, 10) == 0.5
    assert math.isclose(learning_rate(train_settings(lr=2.0, schedule="cosine"), 5, 10), 1.0)
