"""Tests of `keras_genimg.export`: signatures, layout, versions, warmup."""

import os
import threading
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_genimg import editing
from keras_genimg.cli.main import main
from keras_genimg.export import (
    ExportError,
    export_saved_model,
    generate_from_seeds,
    latents_from_seeds,
    model_server_config,
    saved_model,
    serving_signatures,
    signature_table,
    versions,
    warmup,
)
from keras_genimg.export.latents import stateless_latents
from keras_genimg.export.model_info import model_info
from keras_genimg.export.verify import serving_rule_errors
from keras_genimg.serving import signature_table as tables
from tests.serving_checks import zoo


@pytest.fixture(scope="module")
def exported():
    return zoo.exported()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_signatures_promise_the_golden_table(name, exported):
    model = exported.models[name]
    table = signature_table(serving_signatures(model))
    assert table == zoo.GOLDEN[name]
    assert serving_rule_errors(table) == []
    assert tables.from_saved_model(exported.paths[name]) == zoo.GOLDEN[name]


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_layout_is_what_tf_serving_reads(name, exported):
    base_dir = os.path.join(exported.root, name)
    assert os.listdir(base_dir) == ["1"]
    assert exported.paths[name] == os.path.join(base_dir, "1")
    files = set(os.listdir(exported.paths[name]))
    assert {"saved_model.pb", "variables", "assets.extra"} <= files
    assert os.path.isfile(warmup.warmup_path(exported.paths[name]))
    # A server running as another user can read it, as umask allows.
    umask = os.umask(0)
    os.umask(umask)
    mode = os.stat(exported.paths[name]).st_mode & 0o777
    assert mode == 0o777 & ~umask


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_only_the_inference_networks_are_saved(name, exported):
    model = exported.models[name]
    networks = [model.generator] if name == "dcgan" else []
    if name == "ddpm":
        networks = [model.ema_network]
    if name == "vae":
        networks = [model.encoder, model.decoder]
    weights = [w for network in networks for w in network.weights]
    reader = tf.train.load_checkpoint(
        os.path.join(exported.paths[name], "variables", "variables")
    )
    saved = {
        key: shape
        for key, shape in reader.get_variable_to_shape_map().items()
        if key != "_CHECKPOINTABLE_OBJECT_GRAPH"
    }
    assert len(saved) == len(weights)
    assert sum(np.prod(s) for s in saved.values()) == sum(
        np.prod(w.shape) for w in weights
    )


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_export_says_what_it_holds(name, exported):
    model = exported.models[name]
    info = model_info(exported.paths[name])
    assert info["model"] == type(model).__name__
    assert info["image_shape"] == list(model.image_shape)
    assert info["latent_dim"] == model.latent_dim
    assert info["num_classes"] == model.num_classes
    # The steps the served sampler runs, fixed at export.
    assert info.get("sampling_steps") == getattr(model, "sampling_steps", None)


@pytest.mark.slow
def test_export_records_the_sampling_steps_it_was_given(tmp_path, capsys):
    model = zoo.build("ddpm")
    model.save(tmp_path / "ddpm.keras")
    argv = ["export", str(tmp_path / "ddpm.keras"), "--to",
            str(tmp_path / "ddpm"), "--sampling-steps", "3"]  # fmt: skip
    assert main(argv) == 0
    assert model_info(tmp_path / "ddpm" / "1")["sampling_steps"] == 3
    assert "Its signatures run 3 DDIM steps" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_warmup_has_one_small_request_per_signature(name, exported):
    requests = warmup.read_warmup_requests(exported.paths[name])
    assert 0 < len(requests) <= warmup.MAX_RECORDS
    assert sorted(s for s, _ in requests) == sorted(zoo.GOLDEN[name])
    for signature, inputs in requests:
        expected = zoo.GOLDEN[name][signature]["inputs"]
        assert sorted(inputs) == sorted(expected)
        for key, value in inputs.items():
            assert value.dtype == {"DT_FLOAT": np.float32}.get(
                expected[key][0], np.int32
            )
            assert len(value) == saved_model.WARMUP_BATCH_SIZE


def test_seeds_give_the_same_latents_and_images_everywhere(exported):
    z = latents_from_seeds([5, 6, 5], zoo.LATENT_DIM)
    np.testing.assert_array_equal(z[0], z[2])
    assert not np.allclose(z[0], z[1])
    loaded = tf.saved_model.load(exported.paths["dcgan"])
    served = loaded.signatures["sample"](seed=tf.constant([5, 6], "int32"))
    keras_images = generate_from_seeds(exported.models["dcgan"], [5, 6])
    np.testing.assert_allclose(
        served["images"].numpy(), keras_images, rtol=1e-4, atol=1e-5
    )
    with pytest.raises(ValueError, match="int32"):
        latents_from_seeds([2**31], zoo.LATENT_DIM)
    with pytest.raises(ValueError, match="1-D"):
        latents_from_seeds([[1, 2]], zoo.LATENT_DIM)


def test_latents_from_seeds_draw_what_the_ops_draw_for_each_prior():
    # Drawn in one traced graph per latent size and prior, as an export
    # draws them: the same vectors as the ops run eagerly, and no graph of
    # one prior serves another of the same shapes.
    seeds = tf.constant([3, 9, 3], "int32")
    rng = np.random.default_rng(0)
    priors = [None] + [
        (
            np.array([0.25, 0.75]),  # float64, as numpy fits give them
            rng.normal(size=(2, 4)),
            rng.normal(size=(2, 4, 4)),
        )
        for _ in range(2)
    ]
    drawn = []
    for prior in priors * 2:
        z = latents_from_seeds(seeds.numpy(), 4, prior)
        eager = stateless_latents(seeds, 4, prior).numpy()
        np.testing.assert_array_equal(z, eager)
        drawn.append(z)
    assert not np.allclose(drawn[1], drawn[2])
    np.testing.assert_array_equal(drawn[0], drawn[3])


def test_a_vae_s_sample_signature_draws_from_its_fitted_prior(exported):
    vae = exported.models["vae"]
    weights, means, scales = prior = vae.prior_parameters()
    assert not np.allclose(weights, weights[0])  # fitted, not the start
    seeds = np.arange(200)
    z = latents_from_seeds(seeds, zoo.LATENT_DIM, prior)
    # Each vector is one component's mean plus its scale times the N(0, I)
    # draw the seed gives without a prior.
    noise = latents_from_seeds(seeds, zoo.LATENT_DIM)
    candidates = means[None] + np.einsum("kij,nj->nki", scales, noise)
    error = np.abs(candidates - z[:, None]).max(axis=2).min(axis=1)
    assert error.max() < 1e-4
    loaded = tf.saved_model.load(exported.paths["vae"])
    served = loaded.signatures["sample"](seed=tf.constant(seeds[:4], "int32"))
    np.testing.assert_allclose(
        served["images"].numpy(),
        generate_from_seeds(vae, seeds[:4]),
        rtol=1e-4,
        atol=1e-5,
    )


def test_vae_inpaint_signature_refuses_bad_masks(exported):
    loaded = tf.saved_model.load(exported.paths["vae"])
    inpaint = loaded.signatures["inpaint"]
    images = tf.fill((2, 16, 16, 1), 0.5)
    mask = editing.make_mask("center", (16, 16, 1), 2)
    for bad, message in (
        (mask * 0.5, "only 0 .unknown. and 1 .known."),
        (np.ones_like(mask), "at least one pixel known and one unknown"),
        (np.zeros_like(mask), "at least one pixel known and one unknown"),
        (mask[:1], "same batch size"),
        (mask[:, :8], r"Input mask must have shape \(batch, 16, 16, 1\)"),
    ):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            inpaint(images=images, mask=tf.constant(bad))


def test_loaded_signatures_reject_bad_inputs(exported):
    loaded = tf.saved_model.load(exported.paths["vae"])
    decode = loaded.signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\(batch, 4\)"):
        decode(z=tf.zeros((2, 5)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\(batch, 4\)"):
        decode(z=tf.zeros((4,)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="double"):
        decode(z=tf.zeros((2, 4), tf.float64))
    encode = loaded.signatures["encode"]
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"\(batch, 16, 16, 1\)"
    ):
        encode(images=tf.zeros((2, 8, 8, 1)))
    outputs = encode(images=tf.zeros((2, 16, 16, 1)))
    assert sorted(outputs) == ["z_log_var", "z_mean"]


# === Versions and atomic publishing ===


def _version_names(base_dir):
    return sorted(n for n in os.listdir(base_dir) if n.isdigit())


@pytest.mark.slow
def test_versions_count_up_and_are_never_overwritten(tmp_path, exported):
    model = exported.models["dcgan"]
    base_dir = tmp_path / "dcgan"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # The same contract: not a word.
        assert export_saved_model(model, base_dir) == str(base_dir / "1")
        assert export_saved_model(
            model, base_dir, version=7, warmup=False
        ) == str(base_dir / "7")
        assert export_saved_model(model, base_dir, warmup=False).endswith("8")
    before = (base_dir / "7" / "saved_model.pb").read_bytes()
    with pytest.raises(FileExistsError, match="Version 7 already exists"):
        export_saved_model(model, base_dir, version=7)
    with pytest.raises(ValueError, match="positive int"):
        export_saved_model(model, base_dir, version=0)
    assert (base_dir / "7" / "saved_model.pb").read_bytes() == before
    assert not os.path.exists(warmup.warmup_path(base_dir / "7"))
    assert sorted(os.listdir(base_dir)) == ["1", "7", "8"]
    # Another model's contract under the same name is published, with a
    # warning that names what changed.
    with pytest.warns(
        UserWarning,
        match=r"changes what .*8' serves \(serving_default input 'z'",
    ):
        export_saved_model(exported.models["ddpm"], base_dir, warmup=False)
    assert sorted(os.listdir(base_dir)) == ["1", "7", "8", "9"]
    # A version folder emptied by hand does not stop the next export,
    # which compares its contract with the latest SavedModel (9's).
    (base_dir / "10").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ddpm = exported.models["ddpm"]
        path = export_saved_model(ddpm, base_dir, warmup=False)
    assert path.endswith("11")


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["write", "verify"])
def test_a_failed_export_leaves_no_version_behind(
    stage, tmp_path, monkeypatch, exported
):
    base_dir = tmp_path / "vae"
    base_dir.mkdir()
    (base_dir / "1").mkdir()  # An existing version stays as it is.
    (base_dir / "1" / "saved_model.pb").write_bytes(b"v1")

    def fail_while_writing(signatures, path):
        with open(os.path.join(path, "saved_model.pb"), "wb") as f:
            f.write(b"half a model")
        raise OSError("disk full")

    def fail_verification(*args, **kwargs):
        raise ExportError("outputs differ")

    if stage == "write":
        monkeypatch.setattr(saved_model, "write_signatures", fail_while_writing)
        error = OSError
    else:
        monkeypatch.setattr(saved_model, "verify_export", fail_verification)
        error = ExportError
    with pytest.raises(error):
        export_saved_model(exported.models["vae"], base_dir)
    assert os.listdir(base_dir) == ["1"]
    assert (base_dir / "1" / "saved_model.pb").read_bytes() == b"v1"


def test_concurrent_publishers_get_distinct_versions(tmp_path):
    base_dir = tmp_path / "model"
    base_dir.mkdir()
    (base_dir / "1").mkdir()
    (base_dir / "1" / "owner").write_text("first")
    num_threads = 8
    barrier = threading.Barrier(num_threads)
    published = [None] * num_threads

    def publish(index):
        staging = base_dir / f".tmp-export-{index}"
        staging.mkdir()
        (staging / "owner").write_text(str(index))
        barrier.wait()
        published[index] = versions.publish(str(staging), str(base_dir))

    threads = [
        threading.Thread(target=publish, args=(i,)) for i in range(num_threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _version_names(base_dir) == sorted(
        str(v) for v in range(1, num_threads + 2)
    )
    assert sorted(published) == sorted(
        str(base_dir / str(v)) for v in range(2, num_threads + 2)
    )
    owners = sorted(
        (base_dir / v / "owner").read_text() for v in os.listdir(base_dir)
    )
    assert owners == sorted(["first"] + [str(i) for i in range(num_threads)])


@pytest.mark.slow
def test_concurrent_exports_get_distinct_versions(tmp_path, exported):
    base_dir = tmp_path / "dcgan"
    model = exported.models["dcgan"]
    barrier = threading.Barrier(2)
    paths, errors = [], []

    def export():
        barrier.wait()
        try:
            paths.append(export_saved_model(model, base_dir, warmup=False))
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(paths) == [str(base_dir / "1"), str(base_dir / "2")]
    assert sorted(os.listdir(base_dir)) == ["1", "2"]


def test_publish_refuses_an_existing_version(tmp_path):
    (tmp_path / "3").mkdir()
    (tmp_path / "3" / "keep").write_text("keep")
    staging = tmp_path / ".tmp-export-x"
    staging.mkdir()
    (staging / "saved_model.pb").write_text("new")
    with pytest.raises(FileExistsError):
        versions.publish(str(staging), str(tmp_path), version=3)
    assert os.listdir(tmp_path / "3") == ["keep"]


def test_versions_are_what_tf_serving_loads(tmp_path):
    # TF Serving ignores entries that do not parse as int64 versions.
    for name in ("2", "99999999999999999999", "٣", "notes", "x1"):
        (tmp_path / name).mkdir()
    (tmp_path / "7").write_text("a file, not a version")
    assert versions.version_dirs(tmp_path) == {2: "2"}
    assert versions.next_version(tmp_path) == 3
    versions.check_free(tmp_path, 2**63 - 1)
    with pytest.raises(ValueError, match=r"at most 2\*\*63 - 1"):
        versions.check_free(tmp_path, 2**63)


# === Precision and conditional models ===


@pytest.mark.slow
def test_mixed_precision_models_export_float32_signatures(tmp_path):
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = zoo.build("dcgan")
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.compute_dtype == "bfloat16"
    path = export_saved_model(model, tmp_path / "dcgan", warmup=False)
    assert tables.from_saved_model(path) == zoo.GOLDEN["dcgan"]


def test_conditional_models_take_a_label():
    model = zoo.build("dcgan")
    model.num_classes = 10
    table = signature_table(serving_signatures(model))
    label = ("DT_INT32", (-1,))
    assert table["serving_default"]["inputs"] == {
        "z": zoo.LATENT,
        "label": label,
    }
    assert table["sample"]["inputs"] == {"seed": zoo.SEED, "label": label}
    assert serving_rule_errors(table) == []


def test_serving_rules_catch_what_the_rest_api_cannot_take():
    table = {
        "s": {
            "method": "tensorflow/serving/predict",
            "inputs": {"args_0": ("DT_FLOAT", (-1, 4))},
            "outputs": {
                "images": ("DT_BFLOAT16", (-1, 2)),
                "score": ("DT_FLOAT", ()),
            },
        }
    }
    errors = "\n".join(serving_rule_errors(table))
    assert "'args_0' has a generated name" in errors
    assert "DT_BFLOAT16" in errors
    assert "'score' has shape ()" in errors


# === Model server config and the command line ===


def test_serving_config_lists_every_exported_model(tmp_path, exported, capsys):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    root = tmp_path / "saved_models"
    root.mkdir()
    for name in zoo.GOLDEN:
        os.symlink(os.path.join(exported.root, name), root / name)
    # Neither a staging folder nor an unfinished model is served, nor a
    # file: a README, or the (still empty) file the shell redirects the
    # command's output to.
    (root / "empty" / ".tmp-export-1").mkdir(parents=True)
    (root / "unfinished" / "1").mkdir(parents=True)
    (root / "README.md").write_text("# Exported models\n")
    (root / "models.config").touch()

    def parse(text):
        config = model_server_config_pb2.ModelServerConfig()
        text_format.Parse(text, config)
        return list(config.model_config_list.config)

    entries = parse(model_server_config(root))
    names = sorted(zoo.GOLDEN)
    assert [e.name for e in entries] == names
    assert [e.base_path for e in entries] == [str(root / n) for n in names]
    assert {e.model_platform for e in entries} == {"tensorflow"}

    assert main(["serving-config", str(root), "--base-path", "/models"]) == 0
    entries = parse(capsys.readouterr().out)
    assert [e.base_path for e in entries] == [f"/models/{n}" for n in names]
    with pytest.raises(ValueError, match="No exported models"):
        model_server_config(root / "empty")


@pytest.mark.slow
def test_export_command_writes_the_requested_version(
    tmp_path, exported, capsys
):
    model_path = tmp_path / "model.keras"
    exported.models["dcgan"].save(model_path)
    base_dir = tmp_path / "saved_models" / "dcgan"
    argv = ["export", str(model_path), "--to", str(base_dir), "--version", "3"]
    assert main(argv) == 0
    assert f"to {base_dir / '3'}" in capsys.readouterr().out
    assert tables.from_saved_model(base_dir / "3") == zoo.GOLDEN["dcgan"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "Version 3 already exists" in capsys.readouterr().err


@pytest.mark.slow
def test_train_command_exports_at_the_end(tmp_path, capsys):
    base_dir = tmp_path / "saved_models" / "dcgan"
    argv = ["train", "dcgan", "--epochs", "1", "--limit", "32"]
    argv += ["--batch-size", "32", "--image-size", "16", "--latent-dim", "4"]
    argv += ["--verbose", "0", "--out", str(tmp_path / "run")]
    assert main([*argv, "--export", str(base_dir)]) == 0
    assert f"Exported to {base_dir / '1'}" in capsys.readouterr().out
    assert tables.from_saved_model(base_dir / "1") == zoo.GOLDEN["dcgan"]


@pytest.mark.slow
def test_conditional_vae_exports_encode_and_reconstruct(tmp_path):
    from keras_genimg.models import VAE
    from keras_genimg.serving import Client, ServingError

    cvae = VAE((16, 16, 1), latent_dim=4, filters=8, num_classes=3)
    path = export_saved_model(cvae, tmp_path / "cvae", warmup=False)
    images = np.random.default_rng(0).random((4, 16, 16, 1), "float32")
    labels = np.array([0, 2, 1, 2], "int32")
    with Client.from_saved_model(path) as client:
        assert sorted(client.signatures) == [
            "decode",
            "denoise",
            "encode",
            "inpaint",
            "reconstruct",
            "sample",
            "serving_default",
        ]
        assert client.signatures["encode"]["inputs"]["label"] == (
            "DT_INT32",
            (-1,),
        )
        z_mean, z_log_var = client.encode(images, labels)
        expected_mean, expected_log_var = cvae.encode(images, labels)
        np.testing.assert_allclose(z_mean, expected_mean, atol=1e-5)
        np.testing.assert_allclose(z_log_var, expected_log_var, atol=1e-5)
        np.testing.assert_allclose(
            client.reconstruct(images, labels),
            cvae.reconstruct(images, labels),
            atol=1e-5,
        )
        # The label reaches the encoder: another label, another posterior.
        other, _ = client.encode(images, (labels + 1) % 3)
        assert np.abs(other - z_mean).max() > 1e-4
        with pytest.raises(ServingError, match="label"):
            client.reconstruct(images, [0, 1, 2, 3])
        # As TF Serving feeds it: one label for two images is refused.
        one_label = {"images": images[:2], "label": np.array([2], "int32")}
        outputs = client.signatures["encode"]["outputs"]
        with pytest.raises(ServingError, match="the same batch size"):
            client.transport.predict("encode", one_label, outputs)
        mask = editing.make_mask("center", (16, 16, 1), 4)
        inputs = {"images": images, "mask": mask, "label": labels}
        np.testing.assert_allclose(
            client.predict("inpaint", inputs)["images"],
            editing.inpaint(cvae, images, mask, labels, method="encode-decode"),
            atol=1e-5,
        )
