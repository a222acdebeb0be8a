"""The audit's checks of the paper's text: citations against the bibliography, printed
formulas against the words around them, and the hand-written notes (claims/notes.yaml) for
what needs a fact from outside the paper.
"""

from __future__ import annotations

import ast
import math
import operator

import numpy as np

from artifact.claims.audit.paper_logic import Check
from artifact.claims.registry.loader import Registry
from artifact.claims.registry.models import Formula

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}  # fmt: skip
_FUNCTIONS = {"cos": np.cos, "sin": np.sin, "exp": np.exp, "sqrt": np.sqrt}
_CONSTANTS = {"pi": math.pi}


def evaluate_formula(text: str, env: dict[str, np.ndarray]) -> np.ndarray:
    """Evaluate arithmetic over named arrays; anything but + - * / **, numbers, names and
    cos/sin/exp/sqrt is refused (the formula text comes from a file, never eval it)."""

    def walk(node: ast.AST):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name) and (node.id in env or node.id in _CONSTANTS):
            return env.get(node.id, _CONSTANTS.get(node.id))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
                and len(node.args) == 1):  # fmt: skip
            return _FUNCTIONS[node.func.id](walk(node.args[0]))
        raise ValueError(f"unsupported syntax in formula '{text}'")

    return np.asarray(walk(ast.parse(text, mode="eval")), dtype=float)


def names_in(text: str) -> set[str]:
    return {
        node.id for node in ast.walk(ast.parse(text, mode="eval")) if isinstance(node, ast.Name)
    }


def _problems(
    formula: Formula, text: str, registry: Registry
) -> tuple[list[str], np.ndarray, np.ndarray]:
    start, end = formula.domain
    t = np.arange(start, end + 1, dtype=float)  # (n,) the phase's epochs and its end point
    env = {formula.variable: t}
    for name, definition in formula.definitions.items():
        env[name] = evaluate_formula(definition, env)
    values = np.broadcast_to(evaluate_formula(text, env), t.shape)
    problems = []
    first = registry.by_id[formula.start_claim].value.interval()
    last = registry.by_id[formula.end_claim].value.interval()
    if not first.contains(float(values[0])):
        problems.append(
            f"at {formula.variable}={start:g} it gives {values[0]:.4g}, not {first.mid:g}"
        )
    if not last.contains(float(values[-1])):
        problems.append(
            f"at {formula.variable}={end:g} it gives {values[-1]:.4g}, not {last.mid:g}"
        )
    steps = np.diff(values)
    wrong = (
        np.flatnonzero(steps > 1e-9)
        if formula.monotone == "non_increasing"
        else np.flatnonzero(steps < -1e-9)
    )
    if wrong.size:
        i = int(wrong[0])
        problems.append(f"it is not {formula.monotone.replace('_', '-')} ({formula.variable}={t[i]:g}: "
                        f"{values[i]:.4g} -> {t[i + 1]:g}: {values[i + 1]:.4g}; min {values.min():.4g})")  # fmt: skip
    unused = sorted(set(formula.definitions) - names_in(text))
    if unused:
        problems.append(f"{', '.join(unused)} is defined but not used")
    return problems, t, values


def formula_checks(registry: Registry) -> list[Check]:
    checks = []
    for formula in registry.formulas:
        printed, _, _ = _problems(formula, formula.literal, registry)
        reading, _, values = _problems(formula, formula.reading, registry)
        severity = "contradiction" if printed else None
        explanation = (f"{formula.location} prints {formula.literal}"
                       + (f": {'; '.join(printed)}" if printed else ", which does what the text says")
                       + f". The reading {formula.reading} "
                       + (f"goes {values[0]:.4g} -> {values[-1]:.4g}, {formula.monotone.replace('_', '-')}"
                          if not reading else f"also fails: {'; '.join(reading)}"))  # fmt: skip
        claims = [formula.start_claim, formula.end_claim]
        values_shown = {formula.location: formula.text,
                        registry.by_id[formula.start_claim].location: registry.by_id[formula.start_claim].text,
                        registry.by_id[formula.end_claim].location: registry.by_id[formula.end_claim].text}  # fmt: skip
        checks.append(Check(f"formula:{formula.id}", "formula", severity, explanation,
                            list(values_shown), values_shown, claims))  # fmt: skip
    return checks


def citation_checks(registry: Registry) -> list[Check]:
    """Each checked citation must point at the work its sentence names; mismatches are grouped
    by how far the number is off, since a shifted list shows as one constant offset."""
    where = {entry.key: entry.number for entry in registry.bibliography.values()}
    wrong: dict[str, list[tuple]] = {}
    right = []
    for citation in registry.citations:
        entry = registry.bibliography.get(citation.number)
        if entry is not None and entry.key == citation.intended:
            right.append(citation)
            continue
        actual = where.get(citation.intended)
        offset = f"{citation.number - actual:+d}" if actual is not None else "missing"
        wrong.setdefault(offset, []).append((citation, entry, actual))
    checks = []
    for offset, rows in wrong.items():
        values = {f"{c.location}: {c.words}": (f"[{c.number}] is {e.entry}" if e else f"[{c.number}] is not in the bibliography")
                  + (f"; {c.intended} is [{a}]" if a is not None else f"; {c.intended} is not in the bibliography")
                  for c, e, a in rows}  # fmt: skip
        what = (f"point {offset} entries away from the intended work" if offset != "missing"
                else "name works the bibliography does not hold")  # fmt: skip
        checks.append(Check(f"citations:{offset}", "citation", "minor",
                            f"{len(rows)} citation(s) {what}: "
                            f"{', '.join(f'[{n}]' for n in sorted({c.number for c, _, _ in rows}))}",
                            list(values), values))  # fmt: skip
    if right:
        checks.append(Check("citations:ok", "citation", None,
                            f"{len(right)} citation(s) point at the intended work: "
                            f"{', '.join(f'[{n}]' for n in sorted({c.number for c in right}))}", [], {}))  # fmt: skip
    return checks


def note_checks(registry: Registry) -> list[Check]:
    return [Check(f"note:{note.id}", "note", "contradiction" if note.marks else "minor",
                  f"{note.explanation} (source: {note.source})", list(note.locations),
                  dict(note.values), list(note.marks), list(note.marks))
            for note in registry.notes]  # fmt: skip
