"""Local fake venues on 127.0.0.1 speaking real wire protocols, backed by the sim fill rules."""
