"""What every page shares, and the pages that gather several rooms.

Security headers, the error and database-outage pages, the Jinja environment's helpers and the
admin navigation, the admin area's front page and the Audit page, and the lists of admin
controllers that kiosk/app.py mounts. No room imports this one: it sits above them all, below
kiosk/app.py.
"""
