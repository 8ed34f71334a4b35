"""`kiosk bench`: a chain of virtual tills against one kiosk server, measured side by side.

The simulator and the kiosk run as separate processes on 127.0.0.1 and are driven over real HTTP:
tablets sign in as cashiers and take payments the way the pages do (htmx requests, polling every
second), virtual customers tap cards through Stripe's test helper, and the report puts latency,
throughput, Stripe calls, CPU, memory and bytes of one run next to each other.
"""
