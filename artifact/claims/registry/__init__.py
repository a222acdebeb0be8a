"""The claim registry: claims/*.yaml read, typed and indexed (values, models, loader, operands, quantities)."""
