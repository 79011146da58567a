"""The shared intervals against the values published with the methods."""

from __future__ import annotations

import pytest

from retain.stats import difference_interval, wilson, z_score


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872: the examples, method 3 (Wilson).
        ((81, 263), (0.2553, 0.3662)),
        ((15, 148), (0.0624, 0.1605)),
        ((0, 20), (0.0, 0.1611)),
        ((1, 29), (0.0061, 0.1718)),
    ],
)
def test_wilson_matches_newcombes_table(
    counts: tuple[int, int], expected: tuple[float, float]
) -> None:
    low, high = wilson(*counts, z_score(0.95))
    assert (round(low, 4), round(high, 4)) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10.
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ],
)
def test_difference_interval_matches_newcombes_table(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    interval = difference_interval(*counts)
    assert interval is not None
    assert interval.estimate == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (round(interval.low, 4), round(interval.high, 4)) == expected
