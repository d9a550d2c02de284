"""The models and the migrations agree: a model moved between modules or packages (issue 16 split
conversations/models.py into a package and moved no model between apps) keeps its table, its
columns and its rows, so a database migrated from an earlier layout needs nothing new."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_models_need_no_migration_the_tree_does_not_hold():
    out = StringIO()
    # --check exits non-zero (SystemExit) when a migration would be written.
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
