"""``mesodesk doctor``: check a MesoLive server from DNS to the answers of each hub."""

from mesodesk.core.doctor.checks import Check, DoctorReport, Verdict, run_doctor

__all__ = ["Check", "DoctorReport", "Verdict", "run_doctor"]
