"""The whole experiment: the plan of phases, one phase as a step, reproduce, aggregate, claims step, and layout (where every file lives)."""
