"""Render the bundled notification sounds (``resources/sounds/*.wav``) with the stdlib only.

Run ``python -m mesodesk.ui.notify.sound_gen`` to regenerate them; the output is
deterministic (same bytes every run). Short (0.1–0.5 s), 22.05 kHz, 16-bit mono,
soft attack/decay envelopes so nothing clicks.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
SOUNDS_DIR = Path(__file__).resolve().parents[3] / "resources" / "sounds"

#: name -> list of (frequency Hz, start s, duration s, gain)
RECIPES: dict[str, list[tuple[float, float, float, float]]] = {
    # a single soft ping
    "info": [(880.0, 0.0, 0.16, 0.45)],
    # rising major third: "done"
    "success": [(784.0, 0.0, 0.12, 0.45), (988.0, 0.10, 0.20, 0.45)],
    # two equal mid pings: "look"
    "warning": [(660.0, 0.0, 0.12, 0.5), (660.0, 0.17, 0.14, 0.5)],
    # falling minor second, lower and longer: "problem"
    "error": [(523.0, 0.0, 0.16, 0.55), (494.0, 0.15, 0.30, 0.55)],
    # three-note chime for entry/exit/adjustment signals
    "signal": [(988.0, 0.0, 0.12, 0.4), (1319.0, 0.09, 0.12, 0.4), (1568.0, 0.18, 0.26, 0.4)],
    # short bright double tick for fills
    "fill": [(1175.0, 0.0, 0.07, 0.45), (1568.0, 0.07, 0.14, 0.45)],
}


def render(notes: list[tuple[float, float, float, float]]) -> bytes:
    total = max(start + dur for _, start, dur, _ in notes) + 0.03
    n = int(total * RATE)
    samples = [0.0] * n
    for freq, start, dur, gain in notes:
        first = int(start * RATE)
        count = int(dur * RATE)
        attack = max(1, int(0.006 * RATE))
        for i in range(count):
            t = i / RATE
            env = min(1.0, i / attack) * math.exp(-5.0 * t / dur)
            # a touch of the octave makes it a chime rather than a beep
            value = math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t)
            if first + i < n:
                samples[first + i] += gain * env * value / 1.25
    peak = max(1e-9, max(abs(s) for s in samples))
    scale = min(1.0, 0.9 / peak) * 32767
    return b"".join(struct.pack("<h", int(s * scale)) for s in samples)


def write_all(directory: Path = SOUNDS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, notes in RECIPES.items():
        path = directory / f"{name}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(render(notes))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all():
        print(written)
