"""The public help center's pages (helpcenter.py) and its one form (feedback.py)."""
