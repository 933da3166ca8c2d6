"""The business processes: one folder each, registered in ``orderflow.registry``."""
