"""Red/yellow/green lights on needs, households and organisations (DESIGN.md §6)."""
