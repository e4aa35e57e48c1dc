"""Build nmfsep's shipped drum templates from four of Debian's hydrogen drum kits.

    PYTHONPATH=src:. python scripts/make_drum_templates.py [--out FILE.npz]

Needs Debian's ``hydrogen-drumkits`` (/usr/share/hydrogen/data/drumkits).  Only
the kits in :data:`benchmarks.quality.drumkit.TEMPLATE_KITS` are used
(ColomboAcousticDrumkit, Millo_MultiLayered3, ForzeeStereo, HardElectro1): the
benchmark's drum categories are rendered from other kits.  Every velocity
layer of each mapped instrument is one sample; each (piece, sound, kit) entry
is the mean of its samples' unit-energy reference spectrograms
(:func:`nmfsep.drumtemplates.templates_from_samples`).  Each sample's kit,
instrument, file, author and licence (from the kit's drumkit.xml and Debian's
copyright file) are recorded in the data file.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from benchmarks.quality.drumkit import HYDROGEN, TEMPLATE_KITS, read_kit
from nmfsep.drumtemplates import templates_from_samples

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "nmfsep" / "data" / "drum_templates.npz"
COPYRIGHT = Path("/usr/share/doc/hydrogen-drumkits/copyright")

# kit -> [(piece, sound, instrument name pattern, layer file pattern or None)]
MAPS: dict[str, list[tuple[str, str, str, str | None]]] = {
    "ColomboAcousticDrumkit": [
        ("kick", "kick", r"^BassDrum$", None),
        ("snare", "snare", r"^(Snare1|Snare Rock|redo super opaco)$", None),
        ("hihat", "hihat-closed", r"^(Closed HH|Pedal HH)$", r"closed|semi"),
        ("hihat", "hihat-open", r"^(Open HH|Pedal HH)$", r"hihat-open-\d"),
        ("toms", "toms", r"^Tom (Low|Mid|Hi)$", None),
        ("crash", "crash", r"^(crash16inch|crash20inch--2)$", r"__crash"),
        ("ride", "ride", r"^(crash16inch|ride-crash20inch|ride-cup)$", r"__ride"),
    ],
    "Millo_MultiLayered3": [
        ("kick", "kick", r"^Kick$", None),
        ("snare", "snare", r"^Snare Rock$", None),
        ("hihat", "hihat-closed", r"^(Closed HH|Pedal HH)$", None),
        ("hihat", "hihat-open", r"^Open HH$", None),
        ("toms", "toms", r"^Tom (Low|Mid|Hi)$", None),
        ("crash", "crash", r"^Crash$", None),
        ("ride", "ride", r"^Ride Jazz$", None),
    ],
    "ForzeeStereo": [
        ("kick", "kick", r"^Kick \(", None),
        ("snare", "snare", r"^Snare (2 )?(Rimshot )?\(", None),
        ("hihat", "hihat-closed", r"^Hi-Hat (Closed|Pedal) \(", None),
        ("hihat", "hihat-open", r"^Hi-Hat (Open|Semiopen) \(", None),
        ("toms", "toms", r"^Tom (Low|Mid|High) \(", None),
        ("crash", "crash", r"^(Crash|Crash/Ride|Splash|China) \(", None),
        ("ride", "ride", r"^Ride (Bell |Bow )?\(", None),
    ],
    "HardElectro1": [
        ("kick", "kick", r"^Kick [123]$", None),
        ("snare", "snare", r"^(Snare|Clap [12])$", None),
        ("hihat", "hihat-closed", r"^(Closed HH [1-4]|Side HH)$", None),
        ("hihat", "hihat-open", r"^(Open HH|Side OHH)$", None),
    ],
}


def debian_licence(kit: str) -> str:
    """The License field of the kit's paragraph in Debian's copyright file."""
    text = COPYRIGHT.read_text()
    for paragraph in text.split("\n\n"):
        files = re.search(r"^Files:(.*?)(?=^\S)", paragraph + "\nX", flags=re.S | re.M)
        if files and re.search(re.escape(kit).replace(r"\ ", "."), files.group(1)):
            licence = re.search(r"^License:\s*(.+)$", paragraph, flags=re.M)
            holder = re.search(r"^Copyright:\s*(.+)$", paragraph, flags=re.M)
            return f"{licence.group(1) if licence else '?'} ({holder.group(1) if holder else ''})"
    return "?"


def samples() -> list[dict]:
    out = []
    for kit_name in TEMPLATE_KITS:
        kit = read_kit(kit_name)
        licence = debian_licence(kit_name)
        for piece, sound, pattern, layer_pattern in MAPS[kit_name]:
            found = False
            for name, instrument in sorted(kit.instruments.items()):
                if not re.search(pattern, name):
                    continue
                for layer in instrument.layers:
                    if layer_pattern and not re.search(layer_pattern, layer.path.name):
                        continue
                    found = True
                    out.append(dict(piece=piece, sound=sound, kit=kit_name, instrument=name,
                                    path=layer.path,
                                    file=str(layer.path.relative_to(HYDROGEN)),
                                    author=kit.author, licence=licence,
                                    kit_licence=kit.licence or "(none given in drumkit.xml)"))
            if not found:
                raise SystemExit(f"{kit_name}: nothing matches {sound} ({pattern})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    chosen = samples()
    templates = templates_from_samples(chosen)
    path = templates.save(args.out, force=True)
    for entry in templates.entries:
        print(f"{entry['piece']:6s} {entry['sound']:13s} {entry['kit']:24s} "
              f"{entry['n_samples']:3d} samples")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {len(chosen)} samples)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
