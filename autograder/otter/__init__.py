"""Otter-Grader: the zips (`export`), the runtime inside Otter's kernel (`kernel`) and the sandboxed
cross-check (`crosscheck`)."""
