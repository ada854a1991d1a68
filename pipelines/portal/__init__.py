"""The outreach portal (``mtm serve``): logins, roles, published-run pages and downloads, recorded contacts.

It reads published run folders only and keeps its own state (users, sessions, the audit log, recorded
contacts) in a SQLite file under the home, so it keeps serving while a pipeline run holds the DuckDB
warehouse.  See outputs.md (`mtm serve`) and README.md ("The portal").
"""
