"""Tests of the metric math: FID, KID, IS, precision/recall, coverage."""

import numpy as np
import pytest

from keras_genimg.metrics import (
    METRICS,
    FeatureSet,
    Reference,
    RunningStatistics,
    class_coverage,
    compute_metrics,
    feature_statistics,
    frechet_distance,
    frechet_distance_from_features,
    inception_score,
    kernel_inception_distance,
    knn_radii,
    manifold_membership,
    mmd2_unbiased,
    precision_recall,
)
from keras_genimg.metrics.kid import polynomial_kernel


def gaussian(num, dim, seed, shift=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(dim, dim)) * scale / np.sqrt(dim)
    return rng.normal(size=(num, dim)) @ mixing + shift


def scipy_fid(mean1, cov1, mean2, cov2):
    """The textbook formula with scipy's float64 `sqrtm`."""
    linalg = pytest.importorskip("scipy.linalg")
    root = linalg.sqrtm(cov1 @ cov2)
    root = np.real(root)
    diff = mean1 - mean2
    return diff @ diff + np.trace(cov1 + cov2 - 2.0 * root)


# === Fréchet distance ===


@pytest.mark.parametrize("dim", [8, 64])
def test_fid_matches_float64_scipy_sqrtm(dim):
    a = gaussian(600, dim, seed=1)
    b = gaussian(500, dim, seed=2, shift=0.3, scale=1.5)
    stats_a, stats_b = feature_statistics(a), feature_statistics(b)
    expected = scipy_fid(*stats_a, *stats_b)
    assert frechet_distance(*stats_a, *stats_b) == pytest.approx(
        expected, rel=1e-4
    )
    assert frechet_distance_from_features(a, b) == pytest.approx(
        expected, rel=1e-4
    )


def test_fid_of_known_gaussians():
    # Same covariance: only the squared distance of the means remains.
    eye = np.eye(3)
    assert frechet_distance(np.zeros(3), eye, np.full(3, 2.0), eye) == (
        pytest.approx(12.0)
    )
    # Scaled identity covariances: tr(I + 4I - 2 * 2I) = 3 * 1.
    assert frechet_distance(
        np.zeros(3), eye, np.zeros(3), 4 * eye
    ) == pytest.approx(3.0)


def test_fid_of_a_set_with_itself_is_zero():
    x = gaussian(300, 32, seed=3, shift=5.0)
    assert frechet_distance_from_features(x, x) == pytest.approx(0, abs=1e-8)
    # Fewer samples than features: a singular covariance still works.
    small = gaussian(10, 32, seed=4)
    assert frechet_distance_from_features(small, small) < 1e-8


def test_fid_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same D"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_streaming_statistics_equal_all_at_once():
    x = gaussian(257, 12, seed=5, shift=100.0)  # a large mean on purpose
    stats = RunningStatistics()
    for batch in np.array_split(x, [1, 50, 51, 200]):  # sizes 1, 49, 1, ...
        stats.update(batch)
    assert stats.count == 257
    np.testing.assert_allclose(stats.mean(), x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(
        stats.covariance(), np.cov(x, rowvar=False), rtol=1e-9, atol=1e-12
    )
    y = gaussian(100, 12, seed=6)
    assert frechet_distance(
        stats.mean(), stats.covariance(), *feature_statistics(y)
    ) == pytest.approx(frechet_distance_from_features(x, y), rel=1e-9)


def test_running_statistics_check_their_input():
    stats = RunningStatistics()
    with pytest.raises(ValueError, match="at least 2"):
        stats.update(np.zeros((1, 3)))
        stats.covariance()
    with pytest.raises(ValueError, match="Expected 3 features"):
        stats.update(np.zeros((2, 4)))


# === KID ===


def test_mmd2_unbiased_matches_its_definition():
    x, y = gaussian(6, 3, seed=7), gaussian(5, 3, seed=8, shift=1.0)
    k = polynomial_kernel
    within_x = sum(
        k(x[i : i + 1], x[j : j + 1])[0, 0]
        for i in range(6)
        for j in range(6)
        if i != j
    ) / (6 * 5)
    within_y = sum(
        k(y[i : i + 1], y[j : j + 1])[0, 0]
        for i in range(5)
        for j in range(5)
        if i != j
    ) / (5 * 4)
    between = k(x, y).mean()
    assert mmd2_unbiased(x, y) == pytest.approx(
        within_x + within_y - 2 * between
    )


def test_kid_estimator_is_unbiased_for_one_distribution():
    # Independent pairs of samples of one distribution: the estimates
    # average to zero, while the biased (V-statistic) estimator does not.
    rng = np.random.default_rng(9)
    unbiased, biased = [], []
    for _ in range(300):
        x, y = rng.normal(size=(2, 40, 4))
        unbiased.append(mmd2_unbiased(x, y))
        biased.append(
            polynomial_kernel(x, x).mean()
            + polynomial_kernel(y, y).mean()
            - 2 * polynomial_kernel(x, y).mean()
        )
    standard_error = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * standard_error
    assert np.mean(biased) > 10 * standard_error


def test_kid_separates_distributions_and_defaults_to_paper_settings():
    same_a, same_b = gaussian(400, 8, seed=10), gaussian(400, 8, seed=10)[::-1]
    other = gaussian(400, 8, seed=10, shift=1.0)
    kid_same, std = kernel_inception_distance(
        same_a, same_b, num_subsets=10, subset_size=100
    )
    kid_other, _ = kernel_inception_distance(
        same_a, other, num_subsets=10, subset_size=100
    )
    assert abs(kid_same) < 3 * std + 1e-3
    assert kid_other > 20 * max(std, 1e-3)
    # Same seed, same subsets.
    assert kernel_inception_distance(same_a, other, 3, 50, seed=1) == (
        kernel_inception_distance(same_a, other, 3, 50, seed=1)
    )
    with pytest.warns(
        UserWarning, match="subset size 500 is more than the 400"
    ):
        kernel_inception_distance(same_a, other, num_subsets=2, subset_size=500)


# === Inception Score ===


def test_inception_score_bounds():
    assert inception_score(np.full((100, 10), 0.1)) == pytest.approx((1, 0))
    confident = np.eye(10)[np.arange(100) % 10]
    mean, std = inception_score(confident)
    assert mean == pytest.approx(10.0) and std == pytest.approx(0.0)
    # Confident but collapsed onto one class: back to 1.
    assert inception_score(np.eye(10)[np.zeros(100, int)])[0] == (
        pytest.approx(1.0)
    )
    # In between for soft, varied predictions.
    soft = 0.5 * confident + 0.05
    assert 1.0 < inception_score(soft)[0] < 10.0


def test_inception_score_splits_like_the_reference_code():
    # Parts i*N//splits .. (i+1)*N//splits: for N=11, 3 parts of 3, 4, 4.
    probs = np.random.default_rng(0).dirichlet(np.ones(4), size=11)
    expected = [
        np.exp(np.mean(np.sum(part * np.log(part / part.mean(0)), axis=1)))
        for part in (probs[0:3], probs[3:7], probs[7:11])
    ]
    mean, std = inception_score(probs, num_splits=3)
    assert mean == pytest.approx(np.mean(expected), rel=1e-12)
    assert std == pytest.approx(np.std(expected), rel=1e-12)


def test_inception_score_checks_input():
    with pytest.raises(ValueError, match="num_splits"):
        inception_score(np.full((5, 2), 0.5), num_splits=6)
    with pytest.raises(ValueError, match="shape"):
        inception_score(np.zeros(5))


# === Precision and recall ===


def test_knn_radii_match_brute_force_and_blocks():
    x = gaussian(37, 5, seed=11)
    distances = ((x[:, None] - x[None]) ** 2).sum(-1)
    expected = np.sort(distances, axis=1)[:, 3]  # index 0 is the point itself
    np.testing.assert_allclose(knn_radii(x, k=3), expected, rtol=1e-9)
    np.testing.assert_allclose(
        knn_radii(x, k=3, block_size=4), expected, rtol=1e-9
    )
    with pytest.raises(ValueError, match="k"):
        knn_radii(x[:3], k=3)


def test_precision_recall_of_identical_disjoint_and_partial_sets():
    real = gaussian(200, 4, seed=12)
    assert precision_recall(real, real) == (1.0, 1.0)
    far = real + 100.0
    assert precision_recall(real, far) == (0.0, 0.0)
    # Two far-apart clusters of real data; the model makes only one.
    rng = np.random.default_rng(13)
    modes = np.concatenate(
        [rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 50.0]
    )
    collapsed = rng.normal(size=(100, 2))
    precision, recall = precision_recall(modes, collapsed)
    assert precision > 0.9
    assert 0.4 < recall <= 0.5
    blocked = manifold_membership(modes, collapsed, block_size=7)
    assert blocked.mean() == precision
    # Radii computed beforehand give the same answer; radii of another
    # set are refused.
    given = manifold_membership(modes, collapsed, radii=knn_radii(modes))
    np.testing.assert_array_equal(given, blocked)
    with pytest.raises(ValueError, match=r"`radii` must have shape \(200,\)"):
        manifold_membership(modes, collapsed, radii=knn_radii(collapsed))


# === Coverage and all at once ===


def test_class_coverage_shares_balance_and_recall():
    fake = np.eye(3)[[0, 0, 1, 1]]  # class 2 never generated
    labels = np.array([0, 1, 2, 2])
    covered = np.array([True, False, True, False])
    result = class_coverage(fake, labels, covered)
    shares = [c["generated_share"] for c in result["per_class"]]
    assert shares == [0.5, 0.5, 0.0]
    assert [c["recall"] for c in result["per_class"]] == [1.0, 0.0, 0.5]
    assert result["balance"] == pytest.approx(0.25 + 0.25)
    assert result["missing"] == [2]
    with pytest.raises(ValueError, match="Labels must be in"):
        class_coverage(fake, np.array([0, 5]))


def test_compute_metrics_reports_every_metric():
    rng = np.random.default_rng(14)
    real = FeatureSet(
        rng.normal(size=(60, 6)).astype("float32"),
        np.eye(3, dtype="float32")[np.arange(60) % 3],
    )
    reference = Reference(real, labels=np.arange(60) % 3)
    result = compute_metrics(reference, real, kid_subsets=5, kid_subset_size=30)
    assert set(result) == {
        "fid",
        "kid",
        "kid_std",
        "is",
        "is_std",
        "precision",
        "recall",
        "coverage",
    }
    assert result["fid"] < 1e-6
    assert result["precision"] == result["recall"] == 1.0
    assert result["is"] == pytest.approx(3.0)
    assert result["coverage"]["balance"] == pytest.approx(1.0)
    no_probs = compute_metrics(
        reference, FeatureSet(real.features, None), metrics=("is",)
    )
    assert no_probs == {"is": None, "is_std": None}
    # ImageNet-style classes are not the data's: no class coverage.
    imagenet = FeatureSet(real.features, np.full((60, 1000), 1e-3, "float32"))
    assert "coverage" not in compute_metrics(
        reference, imagenet, metrics=("is",)
    )
    assert set(METRICS) == {"fid", "kid", "is", "precision", "recall"}


def test_compute_metrics_rejects_unknown_metrics_and_mixed_features():
    x = FeatureSet(np.zeros((4, 3), "float32"), None)
    with pytest.raises(ValueError, match="Unknown metric 'lpips'"):
        compute_metrics(Reference(x), x, metrics=("fid", "lpips"))
    with pytest.raises(ValueError, match="different feature models"):
        compute_metrics(
            Reference(x), FeatureSet(np.zeros((4, 5), "float32"), None)
        )
