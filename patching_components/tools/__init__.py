"""The ``patching`` command: one module per subcommand, the offline engine and AWS clients."""
