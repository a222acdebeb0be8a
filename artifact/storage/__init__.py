"""Files that are never half written: atomic writes and JSON (atomic.py), advisory directory locks (lock.py)."""
