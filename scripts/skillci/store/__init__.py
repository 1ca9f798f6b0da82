"""The store: where the registry, runs, results and reports live (SQLite, Postgres, Supabase)."""
