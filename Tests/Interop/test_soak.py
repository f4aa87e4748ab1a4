"""Soak (issue #20 item 6): a busy two-connector station, accelerated 3600× (a simulated hour per second), charges on
both connectors while a client polls the status API. After a warm-up longer than the meter sample retention (set to
its minimum, one day = 24 s here) the station's memory (PSS and RSS from /proc) and its database (rows and file size)
must stay flat: every table that grows with events has a bound or a retention (docs/operator.md "Bounds and retention")."""
import sqlite3
import time
from pathlib import Path

from station import Station, cli

TIME_SCALE = 3600
WARM_UP_S = 32  # longer than the retention of one simulated day (24 s) plus its first pruning passes
WINDOW_S = 40
SAMPLE_EVERY_S = 1.0


def memory_kib(pid):
    """(PSS, Pss_Anon, RSS) of a process in KiB. Pss_Anon is the heap and stacks: unlike PSS it does not change when
    another process maps the same binary or libraries, so its slope is the one that shows a leak."""
    rollup = {line.split(":")[0]: int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]}
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    return rollup["Pss"], rollup["Pss_Anon"], rss


def database(data_dir):
    """(meter sample rows, event rows, used pages × page size, main file bytes) of the station's database (only read)."""
    path = data_dir / "chargekit.sqlite"
    c = sqlite3.connect(path, timeout=5)
    try:
        samples = c.execute("SELECT COUNT(*) FROM meterSample").fetchone()[0]
        events = c.execute("SELECT COUNT(*) FROM event").fetchone()[0]
        pages, free, size = (c.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
    finally:
        c.close()
    return samples, events, (pages - free) * size, path.stat().st_size


def slope_per_minute(points):
    """Least-squares slope of (seconds, value) points, per minute."""
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    return 60 * sum((t - mx) * (v - my) for t, v in points) / sxx


def test_memory_and_database_stay_flat_while_both_connectors_charge(data_dir):
    for key, value in (("FreeCharging", "On"), ("MeterSampleRetentionDays", "1")):
        r = cli("config", "set", key, value, "--role", "operator", data_dir=data_dir)
        assert r.returncode == 0, r.stderr
    s = Station(data_dir, connectors=2, time_scale=TIME_SCALE).start()
    try:
        for n in (1, 2):
            assert s.sim("plug", str(n), "--ev", "3p-16a", "--capacity-wh", "300000", "--soc", "0").returncode == 0
        for n in (1, 2):
            assert "session" in s.wait_status(n, "Charging")
        start = time.monotonic()
        series = []  # (t, pss, pss_anon, rss, samples, events, used bytes, file bytes)
        while (t := time.monotonic() - start) < WARM_UP_S + WINDOW_S:
            assert s.get("/api/status")[0] == 200
            series.append((t, *memory_kib(s.proc.pid), *database(data_dir)))
            time.sleep(SAMPLE_EVERY_S)
        for n in (1, 2):
            assert "session" in s.connector(n), "both connectors charged throughout"
    finally:
        assert s.terminate() == 0

    window = [p for p in series if p[0] >= WARM_UP_S]
    slopes = [slope_per_minute([(p[0], p[i] / 1024) for p in window]) for i in (1, 2, 3)]
    samples = [p[4] for p in window]
    used = [p[6] for p in window]
    first, last = window[0], window[-1]
    simulated_h = (last[0] - series[0][0]) * TIME_SCALE / 3600
    print(f"\nsoak: {simulated_h:.0f} simulated hours, both connectors charging; window {last[0] - first[0]:.0f} s after {WARM_UP_S} s warm-up")
    for i, name in ((1, "PSS"), (2, "Pss_Anon"), (3, "RSS")):
        print(f"  {name:8} {series[0][i] / 1024:5.1f} → {first[i] / 1024:5.1f} → {last[i] / 1024:5.1f} MiB (start → warm → end), "
              f"slope {slopes[i - 1]:+.3f} MiB/min")
    print(f"  meter samples {min(samples)}…{max(samples)} rows, events {first[5]} → {last[5]}, "
          f"database used {first[6] / 1024:.0f} → {last[6] / 1024:.0f} KiB, file {first[7] / 1024:.0f} → {last[7] / 1024:.0f} KiB")

    # One simulated day at 2 samples per tick (100 ms real = 360 s simulated): about 480 rows, plus a pass's lag.
    assert max(samples) <= 2 * 86_400 / 360 + 100, "the retention of one day holds"
    # Flat: without the retention they grow by about 20 rows a second (780 in the window). A loaded machine ticks less
    # often, which lowers the count a little; hence a relative band.
    assert max(samples) - min(samples) <= max(samples) // 4, "the number of samples is flat"
    assert max(used) - used[0] <= 32 * 1024, "the database does not grow (deleted pages are reused)"
    assert last[7] - first[7] <= 64 * 1024, "the database file does not grow"
    for name, slope in zip(("Pss_Anon", "RSS"), slopes[1:]):
        assert slope * WINDOW_S / 60 < 1.0, f"{name} flat after warm-up ({slope:+.3f} MiB/min)"
