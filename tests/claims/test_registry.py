"""The claim registry: the repository's claims/ loads and covers the paper; a malformed claim is
refused with a sentence that names it."""

from __future__ import annotations

import pytest
import yaml

from artifact.claims import load_registry
from artifact.errors import InputError
from artifact.metrics.keys import DATASETS, METHODS, all_metric_keys
from tests.helpers.claims import GOOD, write_registry


def test_the_repository_registry_loads_and_covers_every_table_1_number():
    registry = load_registry()
    table1 = {c.metric for c in registry.claims if c.id.startswith("t1.") and c.kind == "mean_std"}
    assert table1 == {
        f"{d}.{m}.{n}"
        for d in DATASETS
        for m in METHODS
        for n in ("mig", "specialised", "dead_pct", "mse")
    }
    assert all(set(c.run_leaves()) <= all_metric_keys() for c in registry.claims)
    assert all(registry.rules[c.tolerance].why for c in registry.claims)
    assert len({c.id for c in registry.claims}) == len(registry.claims) > 250


def test_a_valid_claim_file_loads(tmp_path):
    registry = load_registry(write_registry(tmp_path, [GOOD]))
    assert registry.claims[0].value.std == 0.9


@pytest.mark.parametrize(("change", "words"), [
    ({"value": "34.4 ± -0.9"}, "negative"),
    ({"metric": "dsprites.topk.dead_percent"}, "unknown metric key"),
    ({"tolerance": None}, "tolerance"),
    ({"kind": "derived", "metric": None, "expr": {"ratio": ["shapes3d.topk.dead_pct", "dsprites.topk.dead_rate"]}},
     "dsprites.topk.dead_rate"),
    ({"kind": "derived", "metric": None, "expr": {"ratio": ["shapes3d.topk.dead_pct"]}}, "exactly two operands"),
    ({"tolerance": "no_such_rule"}, "no_such_rule"),
    ({"tolerance": "sign"}, "cannot use tolerance rule"),
    ({"n": None}, "needs n"),
    ({"value": "tf32"}, "numeric value"),
    ({"paper_checks": [{"expr": {"ratio": ["t9.unknown", 2]}}]}, "t9.unknown"),
    ({"kind": "ordering", "pairs": [["dsprites.topk.dead_pct", "dsprites.l1.dead_pct"]], "tolerance": "sign"},
     "needs relation"),
])  # fmt: skip
def test_a_malformed_claim_is_refused_with_a_message_naming_it(tmp_path, change, words):
    claim = {key: value for key, value in (GOOD | change).items() if value is not None}
    with pytest.raises(InputError) as error:
        load_registry(write_registry(tmp_path, [claim]))
    assert "t1.dsprites.topk.dead_pct" in str(error.value) and words in str(error.value)


def test_duplicate_claim_ids_are_refused(tmp_path):
    with pytest.raises(InputError, match="used twice"):
        load_registry(write_registry(tmp_path, [GOOD, GOOD]))


def test_a_tolerance_rule_without_a_reason_is_refused(tmp_path):
    directory = write_registry(tmp_path, [GOOD])
    rules = yaml.safe_load((directory / "tolerances.yaml").read_text())
    del rules["rules"]["seeds"]["why"]
    (directory / "tolerances.yaml").write_text(yaml.safe_dump(rules))
    with pytest.raises(InputError, match="tolerance rule 'seeds'"):
        load_registry(directory)


def test_file_defaults_fill_claims_and_a_claim_overrides_them(tmp_path):
    claim = {key: value for key, value in GOOD.items() if key not in ("n", "tolerance")}
    registry = load_registry(write_registry(tmp_path, [claim, GOOD | {"id": "x.other", "n": 5}],
                                            defaults={"n": 3, "tolerance": "seeds"}))  # fmt: skip
    assert [c.n for c in registry.claims] == [3, 5]


def test_a_missing_or_unparsable_registry_is_one_clear_sentence(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_registry(tmp_path / "nowhere")
    directory = write_registry(tmp_path, [GOOD])
    (directory / "20_claims.yaml").write_text("claims: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_registry(directory)
