"""Intake rounds: the coordinators create and edit them, and open or close them early."""
