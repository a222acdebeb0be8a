"""The `artifact` command line: app.py assembles it; one module per command group; options.py declares shared options once."""
