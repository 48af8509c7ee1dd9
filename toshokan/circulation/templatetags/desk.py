"""Template helpers for the staff desk."""

from __future__ import annotations

from django import template

from ..desk import branch_label

register = template.Library()
register.filter("branch_name", branch_label)
