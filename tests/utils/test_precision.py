"""`--mixed-precision auto`: bfloat16 exactly where the hardware has it."""

import json

import keras
import pytest

from keras_genimg.cli.main import main
from keras_genimg.utils import precision

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
flags\t\t: fpu vme sse2 avx2 avx512f {extra}
bogomips\t: 4800.00
"""


def fake_cpuinfo(tmp_path, extra):
    path = tmp_path / f"cpuinfo_{len(extra)}"
    path.write_text(CPUINFO.format(extra=extra))
    return str(path)


@pytest.mark.parametrize(
    "extra, expected",
    [
        ("avx512_bf16 avx512_vnni", ("bfloat16", "the CPU has avx512_bf16")),
        ("amx_bf16 amx_tile", ("bfloat16", "the CPU has amx_bf16")),
        ("avx512_vnni avx512bw", ("float32", "the CPU has no bfloat16 units")),
    ],
)
def test_auto_picks_bfloat16_exactly_when_the_cpu_has_it(
    tmp_path, extra, expected
):
    assert precision.auto_mixed_precision(fake_cpuinfo(tmp_path, extra)) == (
        expected
    )


def test_unreadable_cpuinfo_means_float32(tmp_path):
    assert precision.cpu_flags(str(tmp_path / "missing")) == set()
    assert precision.auto_mixed_precision(str(tmp_path / "missing"))[0] == (
        "float32"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra, policy", [("avx512_bf16", "mixed_bfloat16"), ("", "float32")]
)
def test_train_says_what_auto_chose_first(
    tmp_path, monkeypatch, capsys, extra, policy
):
    monkeypatch.setattr(precision, "CPUINFO", fake_cpuinfo(tmp_path, extra))
    out = tmp_path / "run"
    assert main(["train", "vae", "--data", "shapes", "--limit", "64",
                 "--image-size", "16", "--epochs", "1", "--verbose", "0",
                 "--out", str(out)]) == 0  # fmt: skip
    first = capsys.readouterr().out.splitlines()[0]
    chosen = "bfloat16" if extra else "float32"
    assert first.startswith(f"Training vae on tensorflow, precision {chosen}")
    assert "(auto: the CPU has" in first
    model = keras.models.load_model(out / "model.keras")
    assert model.dtype_policy.name == policy
    with open(out / "config.json") as f:
        assert json.load(f)["mixed_precision"] == chosen
