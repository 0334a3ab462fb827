"""JSON API and portal routes (filled in by the API work)."""
