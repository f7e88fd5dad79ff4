//! Detectviz storage: one `Store` over SQLite (embedded default) or MySQL/MariaDB.
