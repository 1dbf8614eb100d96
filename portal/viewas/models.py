"""View-as keeps no table: its state is the admin's session (portal.viewas.services), its record the audit log."""
