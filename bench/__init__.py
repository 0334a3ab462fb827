"""Benchmarks of photo_booking on PostgreSQL: figures printed with their
goals and their ratio to the machine's floor, nothing asserted but the
answers' content. See bench/README.md.

    .venv/bin/python -m bench [--quick]            # everything
    .venv/bin/python -m bench.<name> [--quick]     # floor, availability,
        # any_photographer, booking, lists, portal
"""
