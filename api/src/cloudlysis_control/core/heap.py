"""The garbage collector of a process that serves the API (docs/performance.md, "Issue 19 —
garbage collection").

CPython's default thresholds (700, 10, 10) run a young collection every 700 allocations, and
every full collection walks the whole heap: the ≈ 140,000 objects the app holds once started
(modules, classes, the route table, schemas) are walked again and again although they live as
long as the process. Measured under 500 concurrent jobs: 77 young, 8 middle and 1 full
collection in 1.7 s, ≈ 165 ms of the API's CPU, the full one a 108 ms pause of the event loop.

`settle_heap()` runs once the app has started: one full collection, then `gc.freeze()` moves
what survived into the permanent generation (never walked again, never freed: only what is
alive after start-up, and it lives as long as the process anyway), and the young generation's
threshold is raised so that the per-request garbage is collected in fewer, larger batches.
Reference cycles are still collected; only how often and over what changes.
"""

from __future__ import annotations

import gc

# Python's own default for the young generation; a setting below it would make things worse.
GEN0_MIN = 700


def settle_heap(gen0_threshold: int) -> None:
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(GEN0_MIN, gen0_threshold), gen1, gen2)
