"""Helpline's benchmark suite: a data generator and a runner that times the desk at real sizes."""
