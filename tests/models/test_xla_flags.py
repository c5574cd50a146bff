"""The XLA flag that takes JAX's CPU convolutions off YNNPACK."""

import pytest

from keras_genimg.models.backend.xla_flags import (
    CPU_CONVOLUTIONS_FLAG,
    with_xla_convolutions,
)


def test_flag_is_appended_to_other_flags():
    flags = "--xla_force_host_platform_device_count=2"
    assert with_xla_convolutions(flags, "0.10.2") == (
        f"{flags} {CPU_CONVOLUTIONS_FLAG}"
    )
    assert with_xla_convolutions("", "0.10.0") == CPU_CONVOLUTIONS_FLAG


@pytest.mark.parametrize(
    "flags",
    [
        "--xla_cpu_experimental_ynn_fusion_type=",
        "--xla_cpu_experimental_ynn_fusion_type=-individual_dot",
    ],
)
def test_a_users_own_ynn_setting_is_kept(flags):
    assert with_xla_convolutions(flags, "0.10.2") == flags


@pytest.mark.parametrize("version", ["0.4.30", "0.9.2", "0.11.0", None])
def test_jaxlibs_not_measured_get_no_flag(version):
    # XLA aborts on a flag it does not know.
    assert with_xla_convolutions("--a=1", version) == "--a=1"
