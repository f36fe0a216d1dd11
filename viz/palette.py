"""Colour-blind-safe colours: Okabe–Ito for categories, viridis/cividis for continuous values."""

from __future__ import annotations

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies.
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
# Okabe–Ito without its yellow, too pale for a bar or a line on white.
SERIES_COLOURS = [c for c in OKABE_ITO if c != "#F0E442"]
HEATMAP_SCALE = "Viridis"  # perceptually uniform, colour-blind safe
DIVERGING_SCALE = "Cividis"
MASK_SCALE = [[0.0, "#F2F2F2"], [1.0, "#0072B2"]]  # blocked = light grey, allowed = blue
PAD_COLOUR = "#999999"
COLOUR_SCALES = (HEATMAP_SCALE, DIVERGING_SCALE)


def chip_colour(index: int) -> str:
    """A pale background for token chip ``index`` (text stays dark for contrast)."""
    return _PALE[index % len(_PALE)]


def _pale(hex_colour: str, amount: float = 0.55) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    mix = lambda c: round(c + (255 - c) * amount)  # noqa: E731
    return f"#{mix(r):02X}{mix(g):02X}{mix(b):02X}"


_PALE = [_pale(c) for c in OKABE_ITO[:7]]


def probability_colour(p: float) -> str:
    """Viridis-like ramp for a probability in [0, 1], light enough to read dark text on."""
    stops = [(0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)), (1.0, (253, 231, 37))]
    p = min(max(p, 0.0), 1.0)
    for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
        if p <= p1:
            w = (p - p0) / (p1 - p0)
            rgb = [round(a + (b - a) * w) for a, b in zip(c0, c1)]
            return _pale("#" + "".join(f"{v:02X}" for v in rgb), 0.45)
    return _pale("#FDE725", 0.45)
