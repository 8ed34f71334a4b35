"""The database: the engine and its transactions, the migrations check, and the admins' settings.

Owns the `kiosk_setting` table (named values, secret ones encrypted with `KIOSK_SECRET_KEY`).
Others may use:
- `engine`: `write_transaction` (IMMEDIATE on SQLite, joins an outer one), `is_postgres`,
  `make_engine` (piccolo_conf.py); `durability`: `recoverable()`, write transactions whose COMMIT
  does not wait for the disk on SQLite (only for what a power cut may take back: see its module);
- `settings`: read and write named settings, and the revision number that tells other processes
  the settings changed; `secret_box`: the `SecretBox` that encrypts secret settings, and the
  `KIOSK_SECRET_KEY` check at start; `tables.Setting`;
- `check`: `database_problem` (does `kiosk serve` find a reachable, fully migrated database?);
- `sql`: `fetch`, `fetch_one`, `fetch_value`, `execute` — how a room's hand-written SQL (its own
  `sql.py`, for a hot path) runs on either database, inside the current transaction if any;
- `sqlite_reads`: SQLite's read connections (used by `engine`); `sqlite_lock`: its writers in turn
  (one process at a time, by a lock file next to the database); `sqlite_writes`: kept thread
  connections; `foreign_keys`: Piccolo's foreign-key attribute reads without a `dir()` each, and
  `sqlite_types`: SQLite's values converted as Piccolo converts them, for less CPU (both installed
  by `engine`).
Imports nothing of the kiosk but `kiosk.config`.
"""
