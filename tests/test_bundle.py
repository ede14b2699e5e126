"""Results bundles: packed where the trainings ran, checked and restored where the report is built."""

import tarfile

import pytest

from cnnstudy.bundle import check_manifest, first_difference, pack, read_manifest, unpack
from cnnstudy.errors import DataError

MANIFEST = {"datasets": {"d": {"split_seed": 0}}, "variants": {"a": {"training": {"epochs": 2}},
                                                               "b": {"training": {"epochs": 3}}}}
MEMBERS = ["results/d/a/seed0/metrics.json", "results/d/b/seed0/metrics.json"]


@pytest.fixture
def bundle(tmp_path):
    made = tmp_path / "made"
    for index, member in enumerate(MEMBERS):
        (made / member).parent.mkdir(parents=True, exist_ok=True)
        (made / member).write_text(f'{{"accuracy": 0.{index}}}')
    pack(tmp_path / "bundle.tar.gz", MEMBERS, MANIFEST, made)
    return tmp_path / "bundle.tar.gz"


def test_a_bundle_restores_every_member_byte_for_byte(bundle, tmp_path):
    unpack(bundle, MEMBERS, MANIFEST, tmp_path / "elsewhere")
    for member in MEMBERS:
        assert (tmp_path / "elsewhere" / member).read_bytes() == (tmp_path / "made" / member).read_bytes()
    assert read_manifest(bundle)["members"] == MEMBERS


def test_a_subset_of_the_variants_is_enough(bundle, tmp_path):
    """A report of fewer variants than the run trained reads only theirs."""
    expected = {**MANIFEST, "variants": {"a": MANIFEST["variants"]["a"]}}
    unpack(bundle, MEMBERS[:1], expected, tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere" / MEMBERS[1]).exists()


@pytest.mark.parametrize("expected, members, message", [
    ({**MANIFEST, "variants": {"a": {"training": {"epochs": 5}}}}, MEMBERS[:1],
     r"made with variants.a.training.epochs = 2, this config says 5"),
    ({**MANIFEST, "variants": {"c": {}}}, [], r"holds no runs of variant 'c', which this config trains \(the bundle has a, b\)"),
    ({**MANIFEST, "datasets": {"d": {"split_seed": 1}}}, MEMBERS, r"made with datasets.d.split_seed = 0, this config says 1"),
    (MANIFEST, MEMBERS + ["results/d/a/seed1/metrics.json", "results/d/b/seed1/metrics.json"],
     r"lacks results/d/a/seed1/metrics.json and 1 more file\(s\)"),
])
def test_a_bundle_made_otherwise_is_refused_with_the_difference_named(bundle, tmp_path, expected, members, message):
    with pytest.raises(DataError, match=message):
        check_manifest(bundle, read_manifest(bundle), expected, members)
    with pytest.raises(DataError, match=message):
        unpack(bundle, members, expected, tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()  # nothing half-restored


@pytest.mark.parametrize("damage", ["empty", "truncated", "not a tar", "no manifest"])
def test_a_damaged_bundle_is_one_line_naming_it(bundle, tmp_path, damage):
    if damage == "empty":
        bundle.write_bytes(b"")
    elif damage == "truncated":
        bundle.write_bytes(bundle.read_bytes()[:100])
    elif damage == "not a tar":
        bundle.write_text("metrics, predictions\n")
    else:
        with tarfile.open(bundle, "w:gz") as tar:
            tar.add(tmp_path / "made" / MEMBERS[0], arcname=MEMBERS[0])
    with pytest.raises(DataError, match=rf"^{bundle}: not a results bundle of this workflow") as error:
        read_manifest(bundle)
    assert "\n" not in str(error.value)


def test_first_difference_walks_nested_settings():
    assert first_difference({"a": {"b": 1, "c": [1, 2]}}, {"a": {"b": 1, "c": [1, 2]}}, "x") is None
    assert first_difference({"a": {"b": 1}}, {"a": {"b": 1, "d": None}}, "x") is None  # an unset key is None
    assert first_difference({"a": {"c": [1, 2]}}, {"a": {"c": [1, 3]}}, "x") == "x.a.c = [1, 2], this config says [1, 3]"
