"""The scenario wing: the schema and its loading, setups as capability switches, the reader of user files and the
sourced operating benchmarks. Imports nothing else of ``sim``."""
