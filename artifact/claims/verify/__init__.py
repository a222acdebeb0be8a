"""Verification: each claim judged against an aggregate.json (checks.py: the numeric tests; verdicts.py: the verdicts)."""
