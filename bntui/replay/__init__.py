"""Replay scripts: lessons as TOML, played live, recorded from a session, run headless."""
