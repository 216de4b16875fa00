"""The model core: the engine, the network and its mechanisms, the ledger and the KPI declarations; ``model``
builds and runs one replication. Imports only ``sim.scenario``; knows nothing of files, tables, charts or clusters."""
