"""The interfaces: the command line and the dashboard. They parse, call the wings below and map errors to one line."""
