"""The Supabase store's own description never carries a key given in its URL."""

from __future__ import annotations

from skillci.store.supabase import SupabaseStore


def test_an_apikey_in_supabase_url_is_never_shown() -> None:
    store = SupabaseStore(url="https://abc.supabase.co?apikey=s3cret", key="service-key")
    try:
        assert store.location == "https://abc.supabase.co?apikey=***"
        shown = store.describe_failure(RuntimeError("boom"))
    finally:
        store.close()
    assert shown == "supabase https://abc.supabase.co?apikey=***: boom"
