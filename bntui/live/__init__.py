"""The live wing: the runner thread that owns a session, the Frames it hands out, and
the heavy per-key work done off the UI thread. Imports no UI library."""
