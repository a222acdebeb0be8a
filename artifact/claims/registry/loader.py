"""Read claims/ into a validated Registry; refuse a malformed claim with a sentence naming it.

Claim files are read in file-name order, which follows the paper (00_abstract... 90_discussion):
where the audit must pick the first report of a number, "first" means this order.
`tolerances.yaml`, `references.yaml`, `formulas.yaml` and `notes.yaml` hold the tolerance rules,
the bibliography with the citations to check, the printed formulas and the hand-written findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from artifact.claims.registry.models import (
    RANGE_RULE_FOR_STATISTIC,
    RULES_FOR_KIND,
    AuditSettings,
    BibEntry,
    Citation,
    Claim,
    Formula,
    Note,
    Rule,
)
from artifact.errors import InputError
from artifact.storage.paths import path_problem

CLAIMS_DIR = Path(__file__).resolve().parents[3] / "claims"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there
SPECIAL_FILES = ("tolerances.yaml", "references.yaml", "formulas.yaml", "notes.yaml")


@dataclass(frozen=True)
class Registry:
    claims: tuple[Claim, ...]
    rules: Mapping[str, Rule]
    audit: AuditSettings
    bibliography: Mapping[int, BibEntry]
    citations: tuple[Citation, ...]
    formulas: tuple[Formula, ...]
    notes: tuple[Note, ...]
    digest: str
    by_id: Mapping[str, Claim] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {claim.id: claim for claim in self.claims})


def _reason(exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {message}" if where else message


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"claims file {path} is not valid YAML{line}; fix its syntax.") from None
    if not isinstance(raw, dict):
        raise InputError(f"claims file {path} must be a mapping; see claims/README.md.")
    return raw


def _validated(model: type[BaseModel], raw: object, what: str, path: Path) -> BaseModel:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{what} in {path.name} is invalid ({_reason(exc)}); fix it.") from None


def _claims_in(path: Path) -> list[Claim]:
    raw = _read_yaml(path)
    unknown = set(raw) - {"defaults", "claims"}
    if unknown or not isinstance(raw.get("claims"), list):
        raise InputError(f"claims file {path.name} must hold 'claims:' (a list) and optional "
                         f"'defaults:' only; see claims/README.md.")  # fmt: skip
    defaults = raw.get("defaults") or {}
    claims = []
    for number, entry in enumerate(raw["claims"], start=1):
        if not isinstance(entry, dict):
            raise InputError(f"entry {number} of {path.name} is not a mapping; fix it.")
        name = f"claim '{entry.get('id', f'#{number}')}'"
        claims.append(_validated(Claim, defaults | entry, name, path))
    return claims


def _unique_claims(paths: list[Path]) -> list[Claim]:
    """Every claim of `paths` in order; an id used twice is refused naming its file(s)."""
    claims, file_of = [], {}
    for path in paths:
        for claim in _claims_in(path):
            first = file_of.get(claim.id)
            if first is not None:
                where = f"in {path.name}" if first == path else f"in {first.name} and {path.name}"
                raise InputError(f"claim id '{claim.id}' is used twice, {where}; make claim ids "
                                 "unique.")  # fmt: skip
            file_of[claim.id] = path
            claims.append(claim)
    return claims


def _check_references(claims: list[Claim], rules: dict[str, Rule]) -> None:
    """Cross-claim rules: known tolerance rules that fit the kind, known claim ids (the ids are
    unique: _unique_claims)."""
    seen = {claim.id for claim in claims}
    for claim in claims:
        rule = rules.get(claim.tolerance)
        if rule is None:
            raise InputError(f"claim '{claim.id}' names tolerance rule '{claim.tolerance}', which "
                             f"claims/tolerances.yaml does not define; add it or fix the name.")  # fmt: skip
        allowed = RULES_FOR_KIND[claim.kind]
        if claim.kind == "range":
            allowed = frozenset({RANGE_RULE_FOR_STATISTIC[claim.statistic]})
        if rule.type not in allowed:
            raise InputError(f"claim '{claim.id}' ({claim.kind}) cannot use tolerance rule "
                             f"'{claim.tolerance}' of type {rule.type}; use one of type "
                             f"{', '.join(sorted(allowed))}.")  # fmt: skip
        missing = sorted(set(claim.paper_leaves()) - seen)
        if missing:
            raise InputError(f"claim '{claim.id}' checks against unknown claim id(s) {missing}; "
                             f"fix the paper_checks.")  # fmt: skip


def load_registry(directory: Path | None = None) -> Registry:
    """Load and validate every claims file under `directory` (default: the repository's claims/)."""
    directory = Path(directory or CLAIMS_DIR)
    problem = path_problem(directory, "directory")
    if problem is not None:  # "is a file, not a directory" is never called missing
        raise InputError(f"claims directory {directory} {problem}; pass --claims DIR.")
    paths = sorted(directory.glob("*.yaml"))
    missing = [name for name in SPECIAL_FILES if not (directory / name).is_file()]
    if missing:
        raise InputError(f"claims directory {directory} lacks {', '.join(missing)}; restore it.")
    tolerance_path = directory / "tolerances.yaml"
    tolerances = _read_yaml(tolerance_path)
    rules = {
        name: _validated(Rule, body, f"tolerance rule '{name}'", tolerance_path)
        for name, body in (tolerances.get("rules") or {}).items()
    }
    audit = _validated(AuditSettings, tolerances.get("audit"), "the audit section", tolerance_path)
    if (
        rules.get(audit.spread_rule, None) is None
        or rules[audit.spread_rule].type != "standard_error"
    ):
        raise InputError(f"audit.spread_rule in {tolerance_path.name} must name a standard_error "
                         f"rule; fix it.")  # fmt: skip
    for name, rule in rules.items():
        if rule.type == "standard_error" and rule.assumed_paper_rel_std is None:
            raise InputError(f"tolerance rule '{name}' needs assumed_paper_rel_std (used when the "
                             f"paper gives no spread); add it.")  # fmt: skip
    claims = _unique_claims([path for path in paths if path.name not in SPECIAL_FILES])
    _check_references(claims, rules)
    refs_path = directory / "references.yaml"
    refs = _read_yaml(refs_path)
    bibliography = [_validated(BibEntry, e, "bibliography entry", refs_path)
                    for e in refs.get("bibliography") or []]  # fmt: skip
    citations = [
        _validated(Citation, e, "citation", refs_path) for e in refs.get("citations") or []
    ]
    formulas_path, notes_path = directory / "formulas.yaml", directory / "notes.yaml"
    formulas = [_validated(Formula, e, "formula", formulas_path)
                for e in _read_yaml(formulas_path).get("formulas") or []]  # fmt: skip
    notes = [
        _validated(Note, e, "note", notes_path) for e in _read_yaml(notes_path).get("notes") or []
    ]
    ids = {claim.id for claim in claims}
    for item in formulas:
        for cid in (item.start_claim, item.end_claim):
            if cid not in ids:
                raise InputError(f"formula '{item.id}' names unknown claim '{cid}'; fix it.")
    for note in notes:
        if set(note.marks) - ids:
            raise InputError(f"note '{note.id}' marks unknown claim(s); fix its marks.")
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return Registry(
        claims=tuple(claims),
        rules=rules,
        audit=audit,
        bibliography={entry.number: entry for entry in bibliography},
        citations=tuple(citations),
        formulas=tuple(formulas),
        notes=tuple(notes),
        digest=digest.hexdigest(),
    )
