"""Notices to patrons: hold ready, due soon, overdue, hold expired, registration expiring."""
