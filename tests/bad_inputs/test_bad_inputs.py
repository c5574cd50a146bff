"""The tables of bad inputs, each of which must fail with one clear line.

Each area of the package keeps a table beside its tests
(`tests/<area>/bad_inputs.py`); this module runs every case of them all.
Every case names its category, what it does and the error it expects.
Python API cases expect one exception type (exactly) and a message that
names the problem, on one line. Command-line cases expect `genimg` to exit
with code 2 and print exactly one line, `genimg COMMAND: error: ...`, and
never a traceback. The README states how many cases the tables hold.
"""

import concurrent.futures
import errno
import gzip
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from PIL import Image

from keras_genimg.cli.main import main
from keras_genimg.export import export_saved_model
from keras_genimg.serving import Client
from tests.bad_inputs import (
    CATEGORIES,
    LATENT_DIM,
    SHAPE,
    all_cases,
    readme_sentence,
    zeros,
)

README = Path(__file__).resolve().parents[2] / "README.md"
CASES = all_cases()


# === Fixtures ===


def _write_files(tmp):
    """Writes the bad (and a few good) files the cases read."""
    files = {}

    def path(name):
        files[name] = str(tmp / name)
        return tmp / name

    np.savez(path("images.npz"), x=zeros(4, *SHAPE))
    good = (tmp / "images.npz").read_bytes()
    path("empty.npz").write_bytes(b"")
    path("truncated.npz").write_bytes(good[: len(good) // 2])
    path("garbage.npz").write_bytes(b"this is not a zip archive")
    np.savez(path("no_images.npz"), x=zeros(0, *SHAPE))
    np.savez(path("rank2.npz"), x=zeros(4, 16))
    np.savez(path("float255.npz"), x=np.full((4, *SHAPE), 255.0, "float32"))
    np.savez(path("label_minus_1.npz"), x=zeros(4, *SHAPE), y=[0, 1, -1, 1])
    np.savez(path("label_1e6.npz"), x=zeros(4, *SHAPE), y=[0, 10**6, 0, 1])
    path("notes.txt").write_text("not images\n")

    header = b"".join(n.to_bytes(4, "big") for n in (0x803, 10, 4, 4))
    idx_files = {
        "idx_empty": ("train-images-idx3-ubyte", b""),
        "idx_truncated": ("train-images-idx3-ubyte", header + bytes(50)),
        "idx_gz": (
            "train-images-idx3-ubyte.gz",
            gzip.compress(header + bytes(160))[:30],
        ),
        # A header that promises about a terabyte.
        "idx_huge": (
            "train-images-idx3-ubyte",
            b"".join(n.to_bytes(4, "big") for n in (0x803, 2**24, 2**8, 2**8))
            + bytes(100),
        ),
    }
    for name, (file, content) in idx_files.items():
        path(name).mkdir()
        (tmp / name / file).write_bytes(content)

    png = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 256, (16, 16), "uint8")
    Image.fromarray(pixels).save(png, "PNG")
    png = png.getvalue()
    folders = {
        # A bad file after a good one is found before training starts.
        "images_empty": {"a.png": png, "b.png": b""},
        "images_garbage": {"a.png": png, "b.png": b"not an image"},
        "images_truncated": {"a.png": png[: len(png) // 2]},
        # Each file starts as a PNG; the second is cut short.
        "images_second_truncated": {"a.png": png, "b.png": png[:60]},
    }
    for name, contents in folders.items():
        path(name).mkdir()
        for file, content in contents.items():
            (tmp / name / file).write_bytes(content)
    path("no_images").mkdir()
    return files


def _write_models(tmp, files, env, zoo_model):
    # The session's tiny compiled models: 16x16x1 images, a latent vector
    # of 4, 3 classes for the conditional ones (model_checks.build).
    for name in ("vae", "dcgan", "cgan", "cvae"):
        setattr(env, name, zoo_model(name))
    for name in ("vae", "dcgan", "cgan"):
        getattr(env, name).save(tmp / f"{name}.keras")
        files[f"{name}.keras"] = str(tmp / f"{name}.keras")
    other = keras.Sequential(
        [keras.Input((LATENT_DIM,)), keras.layers.Dense(2)]
    )
    other.save(tmp / "other.keras")
    files["other.keras"] = str(tmp / "other.keras")
    (tmp / "empty.keras").write_bytes(b"")
    files["empty.keras"] = str(tmp / "empty.keras")
    good = (tmp / "vae.keras").read_bytes()
    (tmp / "truncated.keras").write_bytes(good[: len(good) // 2])
    files["truncated.keras"] = str(tmp / "truncated.keras")

    env.base_dir = str(tmp / "saved_models" / "vae")
    env.version_dir = export_saved_model(env.vae, env.base_dir, warmup=False)
    no_variables = tmp / "no_variables" / "1"
    shutil.copytree(env.version_dir, no_variables)
    shutil.rmtree(no_variables / "variables")
    files["no_variables"] = str(no_variables)
    empty_variables = tmp / "empty_variables" / "1"
    shutil.copytree(env.version_dir, empty_variables)
    for file in (empty_variables / "variables").iterdir():
        file.unlink()
    files["empty_variables"] = str(empty_variables)
    env.client = Client.from_saved_model(env.version_dir)
    _write_damaged(tmp, files, env.version_dir)


def _write_damaged(tmp, files, version_dir):
    """Damaged `.keras` files and exports, and output-path traps."""

    def rewrite(name, change):
        with (
            zipfile.ZipFile(tmp / "vae.keras") as source,
            zipfile.ZipFile(tmp / name, "w") as target,
        ):
            for item in source.namelist():
                content = change(item, source.read(item))
                if content is not None:
                    target.writestr(item, content)
        files[name] = str(tmp / name)

    rewrite(
        "truncated_weights.keras",
        lambda item, b: b[: len(b) // 2] if item.endswith(".h5") else b,
    )
    rewrite(
        "unknown_class.keras",
        lambda item, b: b.replace(b"VAE", b"NoSuchModel"),
    )
    with zipfile.ZipFile(tmp / "foreign.keras", "w") as other_tool:
        other_tool.writestr("weights.bin", b"\0" * 64)
    files["foreign.keras"] = str(tmp / "foreign.keras")
    for name, damaged in [
        ("truncated_pb", "saved_model.pb"),
        ("truncated_variables", "variables/variables.data-00000-of-00001"),
    ]:
        shutil.copytree(version_dir, tmp / name / "1")
        os.truncate(tmp / name / "1" / damaged, 100)
        files[name] = str(tmp / name / "1")
    (tmp / "a_folder").mkdir()
    (tmp / "a_file").write_text("not a folder")


@pytest.fixture(scope="module")
def env(tmp_path_factory, zoo_model):
    """The models, files and exports the cases use, built once."""
    tmp = tmp_path_factory.mktemp("bad_inputs")
    env = SimpleNamespace(tmp=tmp)
    env.files = _write_files(tmp)
    _write_models(tmp, env.files, env, zoo_model)
    yield env
    env.client.close()


# === The table ===


@pytest.mark.parametrize("kind, category, run, error, match", CASES)
def test_bad_input_fails_with_one_clear_line(
    kind, category, run, error, match, env, capsys, monkeypatch
):
    monkeypatch.chdir(env.tmp)  # Commands write their outputs here.
    before = sorted(os.listdir(env.base_dir))
    with pytest.raises(error) as info:
        if kind == "api":
            run(env)
        else:
            main(run(env))
    if kind == "api":
        assert type(info.value) is error
        message = str(info.value)
        assert re.search(match, message), message
        assert "\n" not in message.strip(), message
    else:
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"genimg {run(env)[0]}: error: "), err
        assert re.search(match, lines[0]), err
    # No bad input leaves a new or changed export behind.
    assert sorted(os.listdir(env.base_dir)) == before


def _count_in_readme():
    found = re.search(r"(\d+) bad inputs tried", README.read_text())
    assert found, "README.md does not say how many bad inputs are tried"
    return int(found.group(1))


def test_readme_counts_every_case():
    assert _count_in_readme() == len(CASES)
    assert f"{len(CASES)} bad inputs tried" == readme_sentence()


def test_every_category_has_several_cases_of_both_kinds():
    kinds = {category: set() for category in CATEGORIES}
    counts = dict.fromkeys(CATEGORIES, 0)
    for case in CASES:
        kind, category = case.values[:2]
        kinds[category].add(kind)
        counts[category] += 1
    assert all(count >= 3 for count in counts.values()), counts
    # Every category but the serving one, which no command sends z for,
    # is tried through both the Python API and the command line.
    assert all(kinds[c] == {"api", "cli"} for c in CATEGORIES[:-1]), kinds
    assert len({case.id for case in CASES}) == len(CASES)


# === Real processes ===


def _full_disk(max_bytes):
    """For a child process: files may grow to `max_bytes` only, and writing
    past that fails with an error (EFBIG) as on a full disk."""

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return limit


MODULE = [sys.executable, "-m", "keras_genimg.cli.main"]
# Commands that fill a small disk, and the file each would have written.
FULL_DISK = {
    "sample": (["sample", "vae.keras", "--num", "64", "--out",
                "out/grid.png"], "out/grid.png"),
    "synthesize": (["synthesize", "cgan.keras", "--per-class", "50",
                    "--out", "out/synthetic.npz"], "out/synthetic.npz"),
}  # fmt: skip


@pytest.fixture(scope="module")
def processes(env):
    """Runs the `genimg` processes of the tests below side by side (each
    spends seconds starting TensorFlow); returns each one's
    `subprocess.CompletedProcess` by name."""
    genimg = shutil.which("genimg")
    console = [genimg] if genimg else MODULE
    (env.tmp / "out").mkdir(exist_ok=True)
    runs = {
        "console": (console + ["train", "vae", "--data",
                               env.files["images_garbage"]], None),
        "module": (MODULE + ["export", "vae.keras", "--to", "a_file/vae"],
                   None),
    }  # fmt: skip
    for name, (argv, _) in FULL_DISK.items():
        runs[f"full_disk/{name}"] = (MODULE + argv, _full_disk(2000))

    def run(command, preexec_fn):
        return subprocess.run(
            command, capture_output=True, text=True, timeout=180,
            cwd=env.tmp, preexec_fn=preexec_fn,
        )  # fmt: skip

    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        futures = {name: pool.submit(run, *args) for name, args in runs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
def test_console_script_prints_no_traceback(env, processes):
    """A real `genimg` process, on data whose second image is not one."""
    result = processes["console"]
    assert result.returncode == 2
    # Nothing else: TensorFlow's C++ messages are hidden.
    bad_file = os.path.join(env.files["images_garbage"], "b.png")
    assert result.stderr.splitlines() == [
        f"genimg train: error: The file {bad_file!r} is not a PNG, JPEG, "
        "GIF or BMP image; it is corrupt or of another kind."
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FULL_DISK))
def test_full_disk_is_one_line_and_leaves_nothing_half_written(
    env, processes, name
):
    argv, written = FULL_DISK[name]
    result = processes[f"full_disk/{name}"]
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"genimg {argv[0]}: error: [Errno {errno.EFBIG}] No room to write "
        f"{written!r}: File too large"
    ]
    assert os.listdir(env.tmp / "out") == []


@pytest.mark.slow
def test_module_entry_point_prints_one_line_too(env, processes):
    """`python -m keras_genimg.cli.main` (how `genimg` re-runs itself on
    another backend) reports a command's error as `genimg` does."""
    result = processes["module"]
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"genimg export: error: {str(env.tmp / 'a_file')!r} is a file, not "
        "a folder."
    ]
