"""The claims step: claims.json and audit.json beside aggregate.json (what the report reads)."""

from __future__ import annotations

from pathlib import Path

from artifact.experiment.layout import audit_path, claims_path
from artifact.storage.atomic import write_json


def write_claims(out_dir: Path, aggregate_payload: dict) -> tuple[Path, Path]:
    """Judge every claim against `aggregate_payload`; write the verdicts and the paper audit."""
    from artifact.claims import audit_registry, load_registry, verify_claims

    registry = load_registry()
    audit = audit_registry(registry)  # once: the verdicts read it, and audit.json holds it
    claims = write_json(
        claims_path(out_dir),
        verify_claims(aggregate_payload, registry, audit).model_dump(mode="json"),
    )
    audit = write_json(audit_path(out_dir), audit.model_dump(mode="json"))
    return claims, audit
