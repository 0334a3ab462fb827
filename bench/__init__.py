"""Benchmarks of photo_booking on PostgreSQL: figures printed, nothing asserted.

    .venv/bin/python -m bench                # everything, one fresh database each
    .venv/bin/python -m bench.availability   # available_slots, in process and HTTP
    .venv/bin/python -m bench.booking        # hold creation, HTTP
    .venv/bin/python -m bench.floor          # a bare Tryton create, HTTP
    .venv/bin/python -m bench.lists          # booking lists over 100k rows, HTTP

They reach PostgreSQL over its Unix socket when it runs on this machine, as
trytond on the database's own host would; PHOTO_PG_URI sets another server
(PHOTO_PG_URI=postgresql://postgres@127.0.0.1:5432/ for TCP on loopback).
"""
