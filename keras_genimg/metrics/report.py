"""A plain-text table of evaluation results, as `genimg eval` prints it."""


def format_report(report):
    """The results of `genimg eval` as a plain-text table.

    Args:
        report: dict. The content of `eval.json`: `metrics` (from
            `compute_metrics`, without `coverage`), `coverage` (or None),
            `frechet_name` ("FID" or "FCD"), `features` (with `kind`),
            `num_generated` and `settings` (with `num_reference`).

    Returns:
        str. Every number has three decimals, so that columns line up.

    Example:
    >>> print(format_report({
    ...     "metrics": {"fid": 1.0, "kid": 0.5, "kid_std": 0.1, "is": None,
    ...                 "is_std": None, "precision": 0.9, "recall": 0.8},
    ...     "coverage": None, "frechet_name": "FID",
    ...     "features": {"kind": "inception"}, "num_generated": 10,
    ...     "settings": {"num_reference": 20},
    ... }))
    10 samples vs 20 reference images
    <BLANKLINE>
      FID (inception features)     1.000
      KID                          0.500 ± 0.100
      Inception Score              n/a
      precision                    0.900
      recall                       0.800
    """
    metrics = report["metrics"]
    features = report["features"]["kind"]
    rows = [
        (f"{report['frechet_name']} ({features} features)", metrics["fid"]),
        ("KID", _pm(metrics["kid"], metrics["kid_std"])),
        ("Inception Score", _pm(metrics["is"], metrics["is_std"])),
        ("precision", metrics["precision"]),
        ("recall", metrics["recall"]),
    ]
    lines = [
        f"{report['num_generated']} samples vs "
        f"{report['settings']['num_reference']} reference images",
        "",
    ]
    lines += [f"  {name:<28} {_fmt(value)}" for name, value in rows]
    coverage = report.get("coverage")
    if coverage:
        lines += ["", "  class  generated  data    recall"]
        for entry in coverage["per_class"]:
            lines.append(
                f"  {entry['class']:>5}  {entry['generated_share']:>8.1%}  "
                f"{entry['data_share']:>6.1%}  "
                f"{_fmt(entry.get('recall'))}"
            )
        lines.append(
            f"  class balance (1 = as in the data): "
            f"{coverage['balance']:.3f}; missing classes: "
            f"{coverage['missing'] or 'none'}"
        )
    return "\n".join(lines)


def _pm(mean, std):
    if mean is None:
        return None
    return f"{mean:.3f} ± {std:.3f}"


def _fmt(value):
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return f"{value:.3f}"
