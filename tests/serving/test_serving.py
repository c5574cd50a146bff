"""Tests of `keras_genimg.serving`: the client over REST, gRPC and locally.

No model server runs here: small stand-ins on 127.0.0.1 answer like TF
Serving from the real exports (`serving_checks/fake_servers.py`).
"""

import copy
import json
import socket

import numpy as np
import pytest
from PIL import Image

from keras_genimg.cli.main import main
from keras_genimg.serving import Client, ServingError
from keras_genimg.serving.rest import parse_predictions, predict_body
from tests.serving_checks import zoo
from tests.serving_checks.fake_servers import FakeGrpcServer, FakeRestServer
from tests.serving_checks.hostile_server import (
    METADATA,
    HostileServer,
    http_reply,
    info,
    json_reply,
)

RNG = np.random.default_rng(0)
Z = RNG.standard_normal((3, zoo.LATENT_DIM)).astype("float32")
IMAGES = RNG.random((2, *zoo.SHAPE)).astype("float32")
SEEDS = [11, 12, 13]


@pytest.fixture(scope="module")
def exported():
    return zoo.exported()


@pytest.fixture(scope="module")
def rest_server(exported):
    server = FakeRestServer({n: {1: p} for n, p in exported.paths.items()})
    yield server
    server.close()


@pytest.fixture(scope="module")
def grpc_server(exported):
    server = FakeGrpcServer({n: {1: p} for n, p in exported.paths.items()})
    yield server
    server.close()


def _client(kind, exported, rest_server, grpc_server, name):
    if kind == "local":
        return Client.from_saved_model(exported.paths[name])
    if kind == "grpc":
        return Client(grpc_server.url, name)
    return Client(rest_server.url, name, request_format=kind)


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


# === Every transport gives the Keras model's answers ===


@pytest.mark.parametrize("kind", ["columnar", "row", "grpc", "local"])
def test_vae_answers_match_keras(kind, exported, rest_server, grpc_server):
    model = exported.models["vae"]
    with _client(kind, exported, rest_server, grpc_server, "vae") as client:
        assert client.latent_dim == zoo.LATENT_DIM
        assert client.image_shape == zoo.SHAPE
        _close(client.generate(Z), model.generate(z=Z))
        _close(
            client.sample(SEEDS),
            zoo.keras_outputs(model, "sample", {"seed": SEEDS})["images"],
        )
        z_mean, z_log_var = client.encode(IMAGES)
        expected_mean, expected_log_var = model.encode(IMAGES)
        _close(z_mean, expected_mean)
        _close(z_log_var, expected_log_var)
        _close(client.reconstruct(IMAGES), model.reconstruct(IMAGES))
        images = client.sample(SEEDS)
        assert images.dtype == np.float32 and images.shape == (3, *zoo.SHAPE)


@pytest.mark.parametrize("kind", ["columnar", "grpc"])
def test_dcgan_answers_match_keras(kind, exported, rest_server, grpc_server):
    model = exported.models["dcgan"]
    with _client(kind, exported, rest_server, grpc_server, "dcgan") as client:
        _close(client.generate(Z), model.generate(z=Z))
        _close(
            client.sample(SEEDS),
            zoo.keras_outputs(model, "sample", {"seed": SEEDS})["images"],
        )
        with pytest.raises(ValueError, match="no signature 'encode'"):
            client.encode(IMAGES)


@pytest.mark.parametrize("kind", ["row", "local"])
def test_ddpm_takes_its_noise_as_images(
    kind, exported, rest_server, grpc_server
):
    model = exported.models["ddpm"]
    noise = np.random.default_rng(4).standard_normal((2, *zoo.SHAPE))
    noise = noise.astype("float32")
    expected = model.generate(z=noise.reshape(2, -1))
    with _client(kind, exported, rest_server, grpc_server, "ddpm") as client:
        assert client.latent_shape == zoo.SHAPE
        assert client.latent_dim == int(np.prod(zoo.SHAPE))
        _close(client.generate(noise), expected)
        # The client reshapes flat latent vectors, as the zoo's tools pass.
        _close(client.generate(noise.reshape(2, -1)), expected)


# === REST bodies and answers ===


def test_rest_bodies_follow_tf_serving_rules(rest_server):
    start = len(rest_server.requests)
    client = Client(rest_server.url, "vae", version=1)
    client.generate(Z[:2])
    client.encode(IMAGES)
    row = Client(rest_server.url, "vae", request_format="row")
    row.sample([4, 5])
    row.encode(IMAGES)
    posts = [(p, b) for m, p, b in rest_server.requests[start:] if m == "POST"]
    (generate_path, generate), (_, encode), (_, sample), (_, encode_rows) = (
        posts
    )
    assert generate_path == "/v1/models/vae/versions/1:predict"
    assert generate == {
        "signature_name": "serving_default",
        "inputs": {"z": Z[:2].tolist()},
    }
    assert encode == {
        "signature_name": "encode",
        "inputs": {"images": IMAGES.tolist()},
    }
    assert sample == {
        "signature_name": "sample",
        "instances": [{"seed": 4}, {"seed": 5}],
    }
    assert encode_rows["instances"] == [{"images": i.tolist()} for i in IMAGES]
    gets = [p for m, p, _ in rest_server.requests[start:] if m == "GET"]
    assert gets == [
        "/v1/models/vae/versions/1/metadata",
        "/v1/models/vae/metadata",
    ]


def test_rest_answers_of_both_forms_parse():
    one = {"images": ("DT_FLOAT", (-1, 2))}
    two = {"z_mean": ("DT_FLOAT", (-1, 1)), "z_log_var": ("DT_FLOAT", (-1, 1))}
    assert parse_predictions({"outputs": [[1, 2]]}, one)["images"].dtype == (
        np.float32
    )
    rows = {"predictions": [{"z_mean": [1.0], "z_log_var": [2.0]}] * 2}
    parsed = parse_predictions(rows, two)
    np.testing.assert_array_equal(parsed["z_log_var"], [[2.0], [2.0]])
    columns = {"outputs": {"z_mean": [[1.0]], "z_log_var": [[2.0]]}}
    assert parse_predictions(columns, two)["z_mean"].shape == (1, 1)
    with pytest.raises(ServingError, match="bad input"):
        parse_predictions({"error": "bad input"}, one)
    with pytest.raises(ServingError, match="Expected the outputs"):
        parse_predictions({"outputs": {"images": [[1]]}}, two)
    with pytest.raises(ServingError, match="one object"):
        parse_predictions({"predictions": [[1.0]]}, two)
    with pytest.raises(ServingError, match="neither"):
        parse_predictions({"result": 1}, one)
    with pytest.raises(ValueError, match="columnar, row"):
        predict_body("sample", {"seed": np.array([1])}, "rows")


def test_rest_status_answer(rest_server):
    client = Client(rest_server.url, "dcgan")
    status = client.transport.status()
    assert status["model_version_status"][0]["state"] == "AVAILABLE"


# === Errors ===


def test_rest_server_errors_become_serving_errors(rest_server):
    with pytest.raises(ServingError, match="Servable not found") as err:
        Client(rest_server.url, "nope").sample([1])
    assert err.value.code == 404
    with pytest.raises(ServingError, match="Latest|nope:7|not found") as err:
        Client(rest_server.url, "vae", version=7).sample([1])
    assert err.value.code == 404
    # Past the client's own checks, the graph's checks answer.
    client = Client(rest_server.url, "vae")
    outputs = client.signatures["serving_default"]["outputs"]
    with pytest.raises(ServingError, match=r"Input z must have shape") as err:
        client.transport.predict(
            "serving_default", {"z": np.zeros((2, 5), "float32")}, outputs
        )
    assert err.value.code == 400


def test_rest_non_json_and_unreachable_servers(rest_server):
    client = Client(rest_server.url, "vae")
    with pytest.raises(ServingError, match="Malformed request"):
        client.transport._request(f"{rest_server.url}/v2/oops")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ServingError, match="Could not reach"):
        Client(f"http://127.0.0.1:{port}", "vae", timeout=5).sample([1])


def test_grpc_server_errors_become_serving_errors(grpc_server):
    with pytest.raises(ServingError, match="Servable not found") as err:
        Client(grpc_server.url, "nope").sample([1])
    assert err.value.code == "NOT_FOUND"
    client = Client(grpc_server.url, "vae")
    outputs = client.signatures["encode"]["outputs"]
    bad = {"images": np.zeros((1, 8, 8, 1), "float32")}
    with pytest.raises(ServingError, match="Input images must have shape"):
        client.transport.predict("encode", bad, outputs)
    wide = {"images": np.zeros((1, *zoo.SHAPE), "float64")}
    with pytest.raises(ServingError, match="INVALID_ARGUMENT.*double"):
        client.transport.predict("encode", wide, outputs)
    client.close()


def test_local_session_checks_fed_shapes(exported):
    client = Client.from_saved_model(exported.paths["dcgan"])
    outputs = client.signatures["serving_default"]["outputs"]
    with pytest.raises(ValueError, match="Cannot feed value of shape"):
        client.transport.predict(
            "serving_default", {"z": np.zeros((2, 5), "float32")}, outputs
        )
    client.close()


@pytest.mark.parametrize(
    "method, value, message",
    [
        ("generate", np.zeros((2, 5), "float32"), r"shape \(batch, 4\)"),
        ("generate", np.zeros((4,), "float32"), r"shape \(batch, 4\)"),
        ("generate", np.zeros((2, 4)), "must be float32.*float64"),
        ("generate", np.zeros((0, 4), "float32"), "at least one"),
        ("encode", np.zeros((2, 8, 8, 1), "float32"), r"\(batch, 16, 16, 1\)"),
        ("reconstruct", np.zeros((2, 16, 16, 1), "float16"), "float32"),
        ("sample", [1.5, 2.0], "integers"),
        ("sample", [2**31], "int32"),
    ],
)
def test_client_checks_inputs_before_sending(
    method, value, message, rest_server
):
    client = Client(rest_server.url, "vae")
    client.signatures  # noqa: B018  (fetch the metadata first)
    sent = len(rest_server.requests)
    with pytest.raises(ValueError, match=message):
        getattr(client, method)(value)
    assert len(rest_server.requests) == sent


def test_client_rejects_labels_for_unconditional_models(rest_server):
    with pytest.raises(ValueError, match="no class labels"):
        Client(rest_server.url, "dcgan").sample([1], labels=[0])


def test_python_lists_are_accepted(rest_server, exported):
    client = Client(rest_server.url, "dcgan")
    _close(client.generate(Z.tolist()), exported.models["dcgan"].generate(z=Z))


def test_unsupported_urls_list_the_forms():
    with pytest.raises(ValueError, match="grpc://HOST:8500"):
        Client("localhost:8500", "vae")


# === genimg sample ===


def _pixels(path):
    with Image.open(path) as png:
        return np.asarray(png, "int16")


def test_sample_command_agrees_across_sources(
    tmp_path, exported, rest_server, grpc_server
):
    model_path = tmp_path / "vae.keras"
    exported.models["vae"].save(model_path)
    common = ["--num", "6", "--seed", "40"]
    sources = {
        "keras": [str(model_path)],
        "saved_model": [exported.paths["vae"]],
        "rest": ["--server", rest_server.url, "--model", "vae"],
        "grpc": ["--server", grpc_server.url, "--model", "vae"],
    }
    grids = {}
    for source, args in sources.items():
        out = tmp_path / f"{source}.png"
        assert main(["sample", *args, *common, "--out", str(out)]) == 0
        grids[source] = _pixels(out)
    reference = grids.pop("keras")
    assert reference.shape == (2 * 16 + 3, 3 * 16 + 4)  # 6 images: 2 x 3
    for grid in grids.values():
        assert np.abs(grid - reference).max() <= 1  # 8-bit rounding


def test_sample_command_errors(tmp_path, exported, capsys):
    base_dir = str(tmp_path.parent)
    cases = [
        ([], "either PATH or --server"),
        (["x.keras", "--server", "http://127.0.0.1:1"], "either PATH"),
        (["--server", "http://127.0.0.1:1"], "--model NAME"),
        ([exported.paths["vae"].rsplit("/", 1)[0]], "base folder"),
        ([base_dir], "neither a run folder, a .keras file"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(["sample", *args, "--out", str(tmp_path / "x.png")])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


# === A server that misbehaves: every failure is one ServingError ===

HOSTILE_IMAGES = np.full((2, 2, 2, 1), 0.5).tolist()


def _deep(depth):
    return b"[" * depth + b"]" * depth


HOSTILE_ANSWERS = {
    "wrong shape": (
        json_reply({"outputs": np.zeros((2, 3, 3, 1)).tolist()}),
        r"of shape \(2, 3, 3, 1\); expected \(-1, 2, 2, 1\)",
    ),
    "wrong batch": (
        json_reply({"outputs": np.zeros((3, 2, 2, 1)).tolist()}),
        "with 3 items of 'images' for 2 asked for",
    ),
    "outside [0, 1]": (
        json_reply({"outputs": np.full((2, 2, 2, 1), 7.0).tolist()}),
        r"outside \[0, 1\] \(up to 7\)",
    ),
    "NaN": (
        http_reply(
            json.dumps({"outputs": [[[[float("nan")]] * 2] * 2] * 2}).encode()
        ),  # fmt: skip
        "NaN or infinite 'images'",
    ),
    "60,000 images": (
        http_reply(
            b'{"outputs": ['
            + b"[[[0.5], [0.5]], [[0.5], [0.5]]], " * 60_000
            + b"]}",
            length=False,
        ),  # fmt: skip
        "more than [0-9,]+ bytes",
    ),
    "a bare number": (http_reply(b"5"), "a JSON int, not an object"),
    "null": (http_reply(b"null"), "a JSON NoneType, not an object"),
    "ragged lists": (
        json_reply({"outputs": [[[[0.5]], [[0.5], [0.5]]]] * 2}),
        "not an array of numbers",
    ),
    "deep nesting": (
        http_reply(b'{"outputs": ' + _deep(100_000) + b"}"),
        "did not answer with JSON",
    ),
    "a truncated body": (
        http_reply(
            json.dumps({"outputs": HOSTILE_IMAGES}).encode()[:20], length=500
        ),  # fmt: skip
        "broken answer",
    ),
    "not HTTP": (b"SSH-2.0-OpenSSH_9.6\r\n", "broken answer"),
    "predictions not a list": (
        json_reply({"predictions": {"images": 1}}),
        "Expected a list of predictions",
    ),
    "an HTTP error without JSON": (
        http_reply(b"<html>busy</html>", status="503 Service Unavailable"),
        "HTTP 503: <html>busy</html>",
    ),
}


@pytest.fixture(scope="module")
def hostile_server():
    server = HostileServer()
    yield server
    server.close()


@pytest.mark.parametrize("case", sorted(HOSTILE_ANSWERS))
def test_every_bad_answer_is_a_serving_error(hostile_server, case):
    reply, message = HOSTILE_ANSWERS[case]
    hostile_server.reply, hostile_server.drip = reply, None
    client = Client(hostile_server.url, "tiny", timeout=20)
    with pytest.raises(ServingError, match=message) as error:
        client.generate(np.zeros((2, 2), "float32"))
    assert f"{hostile_server.url}/v1/models/tiny" in str(error.value)
    assert "\n" not in str(error.value)


def test_timeout_covers_the_whole_request(hostile_server):
    # One byte every 50 ms: each read is quick, the whole answer is not.
    hostile_server.reply = json_reply({"outputs": HOSTILE_IMAGES})
    hostile_server.drip = 0.05
    client = Client(hostile_server.url, "tiny", timeout=1)
    with pytest.raises(ServingError, match="no whole answer within 1 s"):
        client.generate(np.zeros((2, 2), "float32"))


def test_good_answer_from_the_same_server_passes(hostile_server):
    hostile_server.reply = json_reply({"outputs": HOSTILE_IMAGES})
    hostile_server.drip = None
    images = Client(hostile_server.url, "tiny").generate(
        np.zeros((2, 2), "float32")
    )
    np.testing.assert_array_equal(images, np.full((2, 2, 2, 1), 0.5))


@pytest.fixture
def served_metadata():
    """`METADATA` of the hostile server, edited by a test and restored."""
    original = copy.deepcopy(METADATA)
    yield METADATA
    METADATA.clear()
    METADATA.update(original)


@pytest.mark.parametrize(
    "metadata",
    [
        {"metadata": 5},
        {"metadata": {"signature_def": {"signature_def": {"s": {"inputs": {
            "z": {"dtype": "DT_FLOAT",
                  "tensor_shape": {"dim": [{"size": "x"}]}}}}}}}},
        {"metadata": {"signature_def": {"signature_def": {"s": {"inputs": {
            "z": {"dtype": 7}}}}}}},
    ],
)  # fmt: skip
def test_odd_metadata_is_a_serving_error(
    hostile_server, served_metadata, metadata
):
    served_metadata.clear()
    served_metadata.update(metadata)
    with pytest.raises(ServingError, match="signature metadata"):
        Client(hostile_server.url, "tiny").generate(np.zeros((2, 2), "float32"))


def test_sample_command_prints_one_line_for_a_bad_server(
    hostile_server, tmp_path, capsys
):
    hostile_server.reply, hostile_server.drip = http_reply(b"null"), None
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--server", hostile_server.url, "--model", "tiny",
              "--num", "2", "--out", str(tmp_path / "grid.png")])  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "not an object" in err[0], err
    assert not (tmp_path / "grid.png").exists()


def _signatures(metadata):
    return metadata["metadata"]["signature_def"]["signature_def"]


def _without_sample(signatures):
    del signatures["sample"]


def _images_renamed(signatures):
    outputs = signatures["serving_default"]["outputs"]
    outputs["pixels"] = outputs.pop("images")


def _images_of_unknown_rank(signatures):
    outputs = signatures["serving_default"]["outputs"]
    outputs["images"] = {"dtype": "DT_FLOAT",
                         "tensor_shape": {"unknown_rank": True}}  # fmt: skip


@pytest.mark.parametrize(
    "edit, message",
    [
        (_without_sample, "The model has no signature 'sample'. Expected one "
                          "of: serving_default."),
        (_images_renamed, "The model's 'serving_default' signature has no "
                          "output 'images' of known rank, which a "
                          "keras_genimg export has; its outputs: pixels."),
        (_images_of_unknown_rank, "'serving_default' signature has no output "
                                  "'images' of known rank"),
    ],
)  # fmt: skip
def test_metadata_without_what_sampling_needs_is_one_line(
    hostile_server, served_metadata, edit, message, tmp_path, capsys
):
    edit(_signatures(served_metadata))
    hostile_server.reply = json_reply({"outputs": HOSTILE_IMAGES})
    hostile_server.drip = None
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--server", hostile_server.url, "--model", "tiny",
              "--num", "2", "--out", str(tmp_path / "grid.png")])  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "grid.png").exists()


def test_a_failing_server_is_not_taken_for_a_refused_label(
    hostile_server, served_metadata, tmp_path, capsys
):
    # A conditional model whose server fails every request: the failure is
    # said, not read as "every label is out of range".
    sample = _signatures(served_metadata)["sample"]
    sample["inputs"]["label"] = info("DT_INT32", -1)
    hostile_server.reply = http_reply(
        b"<html>busy</html>", status="503 Service Unavailable"
    )
    hostile_server.drip = None
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--server", hostile_server.url, "--model", "tiny",
              "--num", "2", "--label", "1",
              "--out", str(tmp_path / "grid.png")])  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "HTTP 503: <html>busy</html>" in err[0], err
