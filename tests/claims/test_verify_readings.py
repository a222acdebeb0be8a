"""verify-claims --readings: each reading judged with its own keys, the tables it makes hold,
the audit's unreachable marks, and the CLI's JSON and refusal."""

from __future__ import annotations

import copy
import json

from typer.testing import CliRunner

from artifact.claims.verify.readings import table_of, verify_readings
from artifact.cli.app import app
from artifact.errors import ExitCode
from artifact.storage.atomic import write_json
from tests.helpers.claims import AUDIT, REGISTRY, paper_aggregate, shift_out_of_tolerance

runner = CliRunner()
REGISTERED = "codes.equal_width20.nats.raw.boost_off.mig20"
SHIFTED = "pre_cut.equal_width20.nats.raw.boost_off.mig20"
TABLE4 = [f"{d}.topk.extended_specialised_thr_{t}" for d in ("dsprites", "shapes3d")
          for t in ("0.2", "0.3", "0.5", "0.7", "0.8")]  # fmt: skip


def with_readings() -> dict:
    """The paper's numbers under the registered reading; Table 4 moved out under another."""
    aggregate = paper_aggregate()
    metrics = aggregate["metrics"]
    same = {key: copy.deepcopy(metrics[key]) for key in TABLE4}
    moved = copy.deepcopy(same)
    for entry in moved.values():
        shift_out_of_tolerance(entry)
    aggregate["readings"] = {REGISTERED: {"axes": {}, "metrics": same},
                             SHIFTED: {"axes": {}, "metrics": moved}}  # fmt: skip
    return aggregate


def test_each_reading_is_judged_on_its_own_numbers_and_tables_say_which_hold():
    report = verify_readings(with_readings(), REGISTRY, AUDIT)
    assert report.readings == [REGISTERED, SHIFTED] and report.registered == REGISTERED
    rows = {c.id: c for c in report.claims}
    assert rows["t4.dsprites.0.5"].outcomes == {REGISTERED: "pass", SHIFTED: "fail"}
    assert "t1.dsprites.topk.dead_pct" not in rows  # no reading changes it
    assert report.tables["Table 4"] == [REGISTERED]


def test_claims_a_reading_cannot_reach_are_marked_under_it():
    rows = {c.id: c for c in verify_readings(with_readings(), REGISTRY, AUDIT).claims}
    assert rows["t4.dsprites.0.2"].unreachable == [REGISTERED]  # 2,536 > 1,890 under a~
    assert rows["t4.dsprites.0.5"].unreachable == []


def test_table_of_a_location():
    assert table_of("Table 4, threshold 0.2 (lenient), dSprites Specialized") == "Table 4"
    assert table_of("Section 4.6") == "Section 4.6"
    assert table_of("Figure 6 (dSprites, seed 42), top-left") == "Figure 6"


def test_cli_prints_json_and_refuses_an_aggregate_without_readings(tmp_path):
    write_json(tmp_path / "aggregate.json", with_readings())
    result = runner.invoke(app, ["verify-claims", "--metrics", str(tmp_path), "--readings",
                                 "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["tables"]["Table 4"] == [REGISTERED]
    table = runner.invoke(app, ["verify-claims", "--metrics", str(tmp_path), "--readings"])
    assert "Table 4 holds under R0 (1 of 2)." in table.stdout
    write_json(tmp_path / "aggregate.json", paper_aggregate())
    refused = runner.invoke(app, ["verify-claims", "--metrics", str(tmp_path), "--readings"])
    assert refused.exit_code == int(ExitCode.USAGE)
    assert "holds no readings" in refused.output and "Traceback" not in refused.output
