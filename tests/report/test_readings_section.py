"""The report's readings section on a synthetic metrics directory (tests/fixtures) whose runs
hold three evaluation-time readings: the figure's cells are verify-claims --readings' outcomes,
one sentence per table says which readings make it hold, the PNG is byte-identical on a rebuild,
and a run without readings says so and draws nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artifact.claims.render_readings import table_sentences
from artifact.claims.verify.readings import verify_readings
from artifact.experiment.aggregate import aggregate
from artifact.report import build_report
from artifact.report.build import _figure_specs
from artifact.report.figures_readings import (
    OUTCOMES,
    READINGS_PNG,
    differing,
    judged,
    outcome_grid,
    readings_section,
)
from artifact.report.inputs import load_metrics_dir
from tests.fixtures.report_synthetic import write_metrics_dir

REGISTERED = "codes.equal_width20.nats.raw.boost_off.mig20"
# reading -> factor on the specialised counts (the registered reading keeps the run's own)
READINGS = {REGISTERED: 1.0, "codes.equal_width20.bits.raw.boost_off.mig20": 1.6,
            "pre_cut.zero_and_positive20.nats.raw.boost_off.mig20": 0.3}  # fmt: skip
VIEW = ("mig", "mse", "dead_pct", "specialised", "effective_sparsity_pct", "dead_pct_at",
        "specialised_at")  # fmt: skip


def _view(record: dict, factor: float) -> dict:
    view = {key: record[key] for key in VIEW if key in record}
    if isinstance(view.get("specialised"), int):
        view["specialised"] = int(round(view["specialised"] * factor))
        view["specialised_at"] = {t: int(round(v * factor)) for t, v in view["specialised_at"].items()}
    return view


def add_readings(out: Path) -> Path:
    """Give every run's end-point records the READINGS views and re-aggregate."""
    for path in sorted((out / "runs").glob("*/*.json")):
        payload = json.loads(path.read_text())
        for key in ("final", "at_k_start", "start"):
            record = payload.get(key)
            if isinstance(record, dict):
                record["readings"] = {name: _view(record, f) for name, f in READINGS.items()}
        path.write_text(json.dumps(payload))
    aggregate(out)
    return out


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    return write_metrics_dir(tmp_path_factory.mktemp("plain") / "metrics", profile="cpu")


@pytest.fixture(scope="module")
def with_readings(tmp_path_factory) -> Path:
    out = write_metrics_dir(tmp_path_factory.mktemp("readings") / "metrics", profile="cpu")
    return add_readings(out)


def test_cells_are_the_outcomes_verify_claims_readings_gives(with_readings: Path):
    data = load_metrics_dir(with_readings)
    assert list(data.aggregate["readings"]) == list(READINGS)
    report = judged(data)
    assert report == verify_readings(data.aggregate)  # judged by the CLI's code, not again here
    codes, unreachable = outcome_grid(report)
    rows = differing(report)  # the readings move the specialised counts, so some claims differ
    assert codes.shape == (len(rows), len(READINGS)) and rows
    assert {c.id for c in rows} == {c.id for c in report.claims
                                    if len(set(c.outcomes.values())) > 1
                                    or 0 < len(c.unreachable) < len(READINGS)}  # fmt: skip
    for row, claim in enumerate(rows):
        for col, name in enumerate(report.readings):
            assert OUTCOMES[codes[row, col]] == claim.outcomes[name]
            assert unreachable[row, col] == (name in claim.unreachable)


def test_section_has_the_figure_a_sentence_per_table_and_the_legend(with_readings: Path, tmp_path):
    data = load_metrics_dir(with_readings)
    text = readings_section(data, tmp_path)
    report = verify_readings(data.aggregate)
    assert f"](figures/{READINGS_PNG})" in text
    assert (tmp_path / READINGS_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for sentence in table_sentences(report):
        assert f"- {sentence}" in text
    assert len(table_sentences(report)) == len(report.tables) >= 1
    assert f"- R0 = `{REGISTERED}` (registered)" in text
    first = (tmp_path / READINGS_PNG).read_bytes()
    readings_section(data, tmp_path)
    assert (tmp_path / READINGS_PNG).read_bytes() == first  # same metrics, same bytes


def test_a_run_without_readings_says_so_and_draws_nothing(plain: Path, tmp_path):
    (tmp_path / READINGS_PNG).write_bytes(b"stale")
    text = readings_section(load_metrics_dir(plain), tmp_path)
    assert text.startswith("This run has no readings")
    assert not (tmp_path / READINGS_PNG).exists()


def test_the_report_carries_the_readings_section(with_readings: Path):
    built = build_report(with_readings, with_readings / "report")
    section = built.read_text().split("## Readings\n")[1].split("\n## ")[0]
    assert f"(figures/{READINGS_PNG})" in section and " holds under " in section
    page = (built.parent / "report.html").read_text()
    data = load_metrics_dir(with_readings)
    drawn = sum(spec.draw is not None for spec in _figure_specs(data, []))
    # the paper's figures build.py lists, the reduced run's learning curves, and the readings
    assert page.count('src="data:image/png;base64,') == drawn + 2
