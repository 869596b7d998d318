"""sohoa: the archive side of the scanning farm — intake, catalogue, stores, pipeline steps, milestones, handover."""
