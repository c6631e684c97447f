"""The training wing: config, the command vocabulary, the session and its twins,
metrics, the schedule player. Imports no UI library."""
