"""Orders, independent of any store: the canonical model every channel maps into (pure)."""
