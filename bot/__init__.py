"""Everything that runs Gongyou: CLI, custom NLU components, channels, web widget, staff console."""
