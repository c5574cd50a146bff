"""Sample-quality metrics: FID, KID, Inception Score, precision/recall.

Every metric compares feature vectors, so it works over any Keras model's
features: InceptionV3 pool features at 299x299 (`inception_extractor`, the
literature's default) or the penultimate features of a small classifier
trained on the data set itself (`train_judge` + `judge_extractor`), which
describe small images such as 28x28 digits much better.

Example:

```python
from keras_genimg.data import load_arrays
from keras_genimg.metrics import (
    compute_metrics, compute_reference, judge_extractor, train_judge,
)

x, y = load_arrays("../shared/data/mnist", with_labels=True)
judge, accuracy = train_judge(x, y)
extractor = judge_extractor(judge)
reference = compute_reference(x, extractor, labels=y)
generated = extractor.extract(model.generate(num_images=10000, seed=0))
print(compute_metrics(reference, generated))  # fid, kid, is, precision, ...
```
"""

from keras_genimg.metrics.coverage import class_coverage
from keras_genimg.metrics.evaluate import (
    METRICS,
    check_features,
    compute_metrics,
    evaluate,
    open_features,
    source_name,
)
from keras_genimg.metrics.extractor import FeatureExtractor, FeatureSet
from keras_genimg.metrics.frechet import (
    frechet_distance,
    frechet_distance_from_features,
)
from keras_genimg.metrics.inception import (
    InceptionWeightsError,
    inception_extractor,
)
from keras_genimg.metrics.inception_score import inception_score
from keras_genimg.metrics.judge import (
    build_judge,
    judge_extractor,
    load_judge,
    provenance_path,
    train_judge,
)
from keras_genimg.metrics.kid import kernel_inception_distance, mmd2_unbiased
from keras_genimg.metrics.precision_recall import (
    knn_radii,
    manifold_membership,
    precision_recall,
)
from keras_genimg.metrics.reference import (
    Reference,
    compute_reference,
    default_cache_dir,
    reference_key,
)
from keras_genimg.metrics.report import format_report
from keras_genimg.metrics.statistics import (
    RunningStatistics,
    feature_statistics,
)

__all__ = [
    "METRICS",
    "FeatureExtractor",
    "FeatureSet",
    "InceptionWeightsError",
    "Reference",
    "RunningStatistics",
    "build_judge",
    "check_features",
    "class_coverage",
    "compute_metrics",
    "compute_reference",
    "default_cache_dir",
    "evaluate",
    "feature_statistics",
    "format_report",
    "frechet_distance",
    "frechet_distance_from_features",
    "inception_extractor",
    "inception_score",
    "judge_extractor",
    "kernel_inception_distance",
    "knn_radii",
    "load_judge",
    "manifold_membership",
    "mmd2_unbiased",
    "open_features",
    "precision_recall",
    "provenance_path",
    "reference_key",
    "source_name",
    "train_judge",
]
