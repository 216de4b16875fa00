"""The model core: the engine, the network and its mechanisms, the ledger and the KPI declarations; ``model``
builds and runs one replication. Imports only ``sim.scenario``; knows nothing of files, tables, charts or clusters.

Its hot modules may be compiled (``setup.py``); :mod:`sim._build` decides, before any of them is imported,
whether the compiled build or the sources run (``OMNISIM_PURE=1``: the sources)."""

from sim._build import install as _install

_install()
