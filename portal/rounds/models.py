"""No models of its own: IntakeRound lives in portal/applications/models.py, beside the applications it holds."""
