"""Venue adapters: one package per venue, each built from config, transport, parse and client."""
