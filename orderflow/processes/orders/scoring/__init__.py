"""The risk model at serving time: pure feature extraction and a small runtime.

Nothing here is imported by the workflow module itself: the validation step
imports ``orderflow.processes.orders.scoring.runtime`` inside the step body, so an
invocation that
replays past ``validate-order`` never loads the model (tests/workflow prove it).
"""
