"""Export a zoo model as a versioned SavedModel for TF Serving."""

import os
import shutil
import uuid
import warnings

import keras

from keras_genimg.export import versions
from keras_genimg.export.model_info import write_model_info
from keras_genimg.export.signatures import serving_signatures
from keras_genimg.export.verify import ExportError, verify_export
from keras_genimg.export.warmup import write_warmup_requests
from keras_genimg.serving import signature_table as tables
from keras_genimg.utils.paths import check_export_dir

WARMUP_BATCH_SIZE = 2
STAGING_PREFIX = ".tmp-export-"
# Comparison with Keras: float32 networks agree to rounding; half-precision
# ones only to a few bits.
ATOL = {"float32": 1e-4, "float16": 2e-2, "bfloat16": 5e-2}


def export_saved_model(model, base_dir, version=None, warmup=True):
    """Exports a zoo model's inference networks for TF Serving.

    Writes `base_dir/<version>/` with `saved_model.pb`, `variables/`,
    `assets.extra/keras_genimg.json` (what the export holds; see
    `model_info`) and, unless `warmup=False`,
    `assets.extra/tf_serving_warmup_requests` (one request per signature).
    Only the networks used for inference are saved (generator, or encoder
    and decoder), never the discriminator or the optimizers. The
    signatures are listed in
    `keras_genimg.export.signatures`.

    The export is written to a staging directory inside `base_dir` whose
    name is not an integer, so TF Serving ignores it. It is loaded back as
    TF Serving loads it, every warmup request is run and compared with
    the Keras model, and only then is it renamed to its version number.
    A failure at any step leaves no version directory behind, and an
    existing version is never overwritten.

    Args:
        model: a zoo model (`VAE`, `DCGAN`, ...).
        base_dir: str or path-like. The model's base directory, the
            `--model_base_path` of TF Serving, e.g. `saved_models/vae`.
        version: int or None. Version number; `None` takes one more than
            the highest present (1 for an empty directory).
        warmup: bool. Write the warmup file. Defaults to True.

    Returns:
        The path of the new version directory.

    Raises:
        FileExistsError: if `version` already exists, or `base_dir` is a
            file or an exported version.
        ExportError: if the written SavedModel fails its checks, or Keras
            runs on another backend than TensorFlow.

    A model trained on JAX or PyTorch is exported from its `.keras` file
    on the TensorFlow backend: `genimg export MODEL.keras --to DIR` does
    that whatever backend it is asked to run on.

    Example:
    >>> # model = keras.models.load_model("runs/vae/model.keras")
    >>> # export_saved_model(model, "saved_models/vae")
    >>> # 'saved_models/vae/1'
    """
    if keras.backend.backend() != "tensorflow":
        raise ExportError(
            "export_saved_model writes TensorFlow graphs and runs on the "
            f"TensorFlow backend; Keras runs on {keras.backend.backend()}. "
            "Save the model (model.save('model.keras')) and run `genimg "
            "export model.keras --to DIR`, which opens it on TensorFlow."
        )
    signatures = serving_signatures(model)
    base_dir = os.fspath(base_dir)
    check_export_dir(base_dir)
    if version is not None:
        versions.check_free(base_dir, version)
    os.makedirs(base_dir, exist_ok=True)
    # Not `tempfile.mkdtemp`: its folders are private to their owner, and
    # the server may run as another user.
    staging = os.path.join(base_dir, STAGING_PREFIX + uuid.uuid4().hex)
    os.mkdir(staging)
    try:
        write_signatures(signatures, staging)
        write_model_info(model, staging)
        requests = [
            (name, signature.example_inputs(WARMUP_BATCH_SIZE))
            for name, signature in signatures.items()
        ]
        if warmup:
            write_warmup_requests(staging, requests)
        compute_dtype = keras.backend.standardize_dtype(model.compute_dtype)
        verify_export(
            staging, signatures, requests, ATOL.get(compute_dtype, 1e-4)
        )
        _warn_if_contract_changes(base_dir, staging)
        return versions.publish(staging, base_dir, version)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _warn_if_contract_changes(base_dir, staging):
    """Warns when the new version's signatures differ from the latest
    version's: TF Serving swaps versions under running clients."""
    # A version folder without a SavedModel (emptied by hand, say) serves
    # nothing: the latest one that serves is compared.
    serving = [
        os.path.join(base_dir, name)
        for _, name in sorted(versions.version_dirs(base_dir).items())
        if os.path.isfile(os.path.join(base_dir, name, tables.SAVED_MODEL_FILE))
    ]
    if not serving:
        return
    latest = serving[-1]
    change = contract_change(
        tables.from_saved_model(latest),
        tables.from_saved_model(staging),
    )
    if change:
        warnings.warn(
            f"The new version of {base_dir!r} changes what {latest!r} "
            f"serves ({change}): clients written for it will break. Export "
            "to another model folder unless that is what you want.",
            stacklevel=3,
        )


def contract_change(old, new):
    """The first difference between two signature tables, or None.

    Example:
    >>> old = {"sample": {"method": "predict", "inputs": {},
    ...                   "outputs": {"images": ("DT_FLOAT", (-1, 32, 32))}}}
    >>> new = {"sample": {"method": "predict", "inputs": {},
    ...                   "outputs": {"images": ("DT_FLOAT", (-1, 28, 28))}}}
    >>> contract_change(old, new)
    "sample output 'images': DT_FLOAT (-1, 32, 32) -> DT_FLOAT (-1, 28, 28)"
    """
    for name in sorted(set(old) | set(new)):
        if name not in new:
            return f"signature {name!r} is gone"
        if name not in old:
            continue
        for side in ("inputs", "outputs"):
            before, after = old[name][side], new[name][side]
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    return (
                        f"{name} {side[:-1]} {key!r}: "
                        f"{_describe(before.get(key))} -> "
                        f"{_describe(after.get(key))}"
                    )
    return None


def _describe(info):
    return "absent" if info is None else f"{info[0]} {info[1]}"


def write_signatures(signatures, path):
    """Writes a SavedModel holding only what `signatures` use.

    `keras.export.ExportArchive` saves the variables the signature
    functions read, so the networks they call, and nothing else.

    Args:
        signatures: dict of `Signature`.
        path: str. An empty or missing directory.
    """
    archive = keras.export.ExportArchive()
    for name, signature in signatures.items():
        archive.add_endpoint(
            name, signature.function, input_signature=list(signature.inputs)
        )
    archive.write_out(path, verbose=False)
