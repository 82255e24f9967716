"""Every custom metric the code writes is a `BusinessMetric` (chalicelib/observability.py): CloudWatch bills each
metric name, so the enum is the deployment's whole metric bill (bench/cost.py counts it) and the dashboard shows
each of them (tests/infra/test_watch.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from chalicelib.observability import BusinessMetric

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def metric_writes(root: Path = CHALICELIB) -> list[tuple[str, int, str]]:
    """(file, line, how the name is given) of every `add_metric` and `count` call under `root`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "add_metric":
                given = next((k.value for k in node.keywords if k.arg == "name"), None)
            elif name == "count" and node.args:
                given = node.args[0]
            else:
                continue
            found.append((path.relative_to(root).as_posix(), node.lineno, ast.unparse(given or node)))
    return found


def test_every_metric_written_is_named_by_a_business_metric() -> None:
    writes = metric_writes()
    assert writes  # the walk finds the writes at all
    members = {f"BusinessMetric.{m.name}" for m in BusinessMetric}
    named = {f"BusinessMetric.{m.name}.value" for m in BusinessMetric} | members | {"metric", "metric.value"}
    strays = [w for w in writes if w[2] not in named and not w[0].endswith("observability.py")]
    assert strays == []


def test_the_walk_sees_a_metric_named_by_a_bare_string(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(
        'metrics.add_metric(name="Adhoc", unit="Count", value=1)\ncount(BusinessMetric.ORDERS_SYNCED)\n'
    )
    assert metric_writes(tmp_path) == [("x.py", 1, "'Adhoc'"), ("x.py", 2, "BusinessMetric.ORDERS_SYNCED")]
