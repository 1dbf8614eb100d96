"""Sign-in with the home university: a SAML 2.0 service provider for the DFN-AAI and CARSI federations."""
