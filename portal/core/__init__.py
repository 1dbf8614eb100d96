"""Shared pieces that know no domain: roles, permissions, tokens, time, audit log, security headers, error pages."""
