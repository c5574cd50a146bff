"""Every fenced `bash` and `python` block of the README runs as printed.

`tests/docs/readme_tour.py` runs the blocks in a process of its own, started
when the suite starts (see `tests/conftest.py`), so that it works beside
the rest of the suite; here each block is one test that reads its
outcome. What cannot run here is listed, with the reason, in
`readme_tour.SKIPPED`.
"""

import atexit
import concurrent.futures
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.background import run_niced
from tests.docs.readme_tour import (
    DOCUMENTS,
    REFERENCE_CACHE,
    SKIPPED,
    blocks,
)

_TOUR = {}


def start_tour():
    """Starts the tour's process in a thread of its own, once, at a lower
    priority than the rest of the suite (`tests.background.run_niced`);
    returns the folder it writes to."""
    if "done" not in _TOUR:
        out = Path(tempfile.mkdtemp(prefix="keras_genimg_readme_"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        _TOUR["out"] = out
        _TOUR["done"] = pool.submit(
            run_niced, ["tests.docs.readme_tour", str(out / "tour")]
        )
        pool.shutdown(wait=False)
    return _TOUR["out"]


@pytest.fixture(scope="module")
def outcomes():
    out = start_tour()
    result = _TOUR["done"].result()
    path = out / "tour" / "outcomes.json"
    assert path.is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(path.read_text())


PARAMS = [
    pytest.param(f"{document}:{line}", id=f"{document}:{line}")
    for document in DOCUMENTS
    for line, _, _ in blocks(document)
]


@pytest.mark.slow
@pytest.mark.parametrize("block", PARAMS)
def test_readme_block_runs(outcomes, block):
    outcome = outcomes[block]
    if outcome["status"] == "skipped":
        pytest.skip(outcome["detail"])
    assert outcome["status"] == "ran", outcome["detail"]


def test_every_block_is_found_and_every_skip_is_used():
    texts = [t for d in DOCUMENTS for _, _, t in blocks(d)]
    assert len(texts) > 20
    for start in SKIPPED:
        assert any(start in text for text in texts), f"unused skip {start!r}"


@pytest.mark.slow
def test_the_tour_keeps_the_reference_cache_in_its_folder(outcomes):
    ran_eval = any(
        outcomes[f"{document}:{line}"]["status"] == "ran"
        for document in DOCUMENTS
        for line, _, text in blocks(document)
        if "genimg eval " in text
    )
    if not ran_eval:
        pytest.skip("no `genimg eval` block ran (they read ../shared)")
    cache = _TOUR["out"] / "tour" / REFERENCE_CACHE
    assert list(cache.glob("*.npz")), f"no reference cached in {cache}"
