"""The XLA flag that gives JAX's CPU convolutions back to XLA's own code.

XLA's CPU backend hands 2D convolutions to YNNPACK by default (jaxlib
0.10). On the x86 CPUs measured, YNNPACK ran the zoo's convolutions two to
four times slower than XLA's own (Eigen) convolutions: for a
64x28x28x64 -> 64 3x3 convolution, 28.7 ms against 15.0 ms forward and
116 ms against 25 ms for the kernel gradient. The flag below keeps
YNNPACK for everything else and takes convolutions off it.

XLA reads `XLA_FLAGS` once, when JAX starts its CPU backend, and aborts
the process on a flag it does not know. So the JAX backend module adds
the flag when it is imported (before any JAX computation, if
`keras_genimg` is imported first), only for the jaxlib versions it was
measured on, and never where `XLA_FLAGS` already sets YNNPACK's fusion
types.
"""

import importlib.metadata

YNN_FUSION_TYPES = "xla_cpu_experimental_ynn_fusion_type"
CPU_CONVOLUTIONS_FLAG = f"--{YNN_FUSION_TYPES}=-individual_convolution"
# The jaxlib releases (major, minor) the flag was measured on.
MEASURED_JAXLIB = {(0, 10)}


def with_xla_convolutions(flags, jaxlib_version):
    """`XLA_FLAGS` with CPU convolutions taken off YNNPACK.

    Args:
        flags: str. The current value of `XLA_FLAGS` (`""` if unset).
        jaxlib_version: str. The installed jaxlib's version, e.g.
            `"0.10.2"`, or None if jaxlib is not installed.

    Returns:
        `flags` with `CPU_CONVOLUTIONS_FLAG` appended; `flags` unchanged
        where they already set YNNPACK's fusion types (the user's choice)
        or where jaxlib is not one of `MEASURED_JAXLIB`.

    Example:
    >>> flags = "--xla_cpu_multi_thread_eigen=false"
    >>> for flag in with_xla_convolutions(flags, "0.10.2").split():
    ...     print(flag)
    --xla_cpu_multi_thread_eigen=false
    --xla_cpu_experimental_ynn_fusion_type=-individual_convolution
    >>> with_xla_convolutions("", "0.4.30")
    ''
    """
    if jaxlib_version is None or YNN_FUSION_TYPES in flags:
        return flags
    release = tuple(int(part) for part in jaxlib_version.split(".")[:2])
    if release not in MEASURED_JAXLIB:
        return flags
    return f"{flags} {CPU_CONVOLUTIONS_FLAG}".strip()


def jaxlib_version():
    """The installed jaxlib's version string, or None."""
    try:
        return importlib.metadata.version("jaxlib")
    except importlib.metadata.PackageNotFoundError:
        return None
