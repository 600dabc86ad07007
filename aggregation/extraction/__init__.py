"""Pure-Python extraction: a force's response file to tidy observations with provenance.

No Django imports here: the same code runs in a Celery worker, a management command and a unit test.
"""
