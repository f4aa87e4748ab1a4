#!/usr/bin/env python3
"""A recorded PV day for the PV surplus benchmark (scripts/bench-pv.sh, issue 25): one minute per row, the production
of a 10 kWp roof and the house's own consumption, for a day in May with clouds. Generated from the model below with a
fixed seed, so that the committed file (scripts/bench/pv-day.csv) can be regenerated bit for bit:

    python3 scripts/bench/pv_day.py > scripts/bench/pv-day.csv        # or --check to compare with the committed one

PV: clear-sky power 10 kWp × 0.85 (inverter, temperature and wiring losses) × sin(π·(t − sunrise)/(day length))^1.3,
sunrise 05:30, sunset 21:00 (local summer time), so about 8.5 kW at solar noon. Clouds: clear morning; from 09:30
fair-weather cumulus (a two-state chain per minute: a clear minute turns shaded with probability 0.12, a shaded one
clears with 0.25; shaded minutes let 20–45 % through, the first clear minute after a shadow 110 % — the cloud-edge
enhancement real PV data show); 15:00–16:30 overcast (25–35 %); cumulus again until 18:30, then clear. ±2 % noise.
House: 180 W base, a fridge (120 W, 15 of every 45 minutes), kettle and coffee 06:40, washing machine from 10:00
(2.1 kW heating 20 min, then 250 W for an hour), cooking 11:50–12:35 (1.5–3 kW), dishwasher 13:30 (2 kW 25 min,
then 120 W), cooking 18:00–18:45, evening 19:00–23:00 (+300 W); every load ±5 %.
"""
import math
import random
import sys
from pathlib import Path

SEED = 25
KWP = 10_000
SUNRISE, SUNSET = 5.5 * 60, 21.0 * 60


def clear_sky_w(minute):
    if not SUNRISE < minute < SUNSET:
        return 0.0
    x = math.sin(math.pi * (minute - SUNRISE) / (SUNSET - SUNRISE))
    return KWP * 0.85 * x ** 1.3


def cloud_factors(rng):
    factors, shaded, was_shaded = [], False, False
    for minute in range(1440):
        h = minute / 60
        if 15.0 <= h < 16.5:
            factors.append(rng.uniform(0.25, 0.35)); shaded = was_shaded = True; continue
        if 9.5 <= h < 18.5:
            shaded = rng.random() < (0.75 if shaded else 0.12)
            if shaded:
                factors.append(rng.uniform(0.20, 0.45))
            else:
                factors.append(1.10 if was_shaded else 1.0)
            was_shaded = shaded
            continue
        factors.append(1.0); was_shaded = False
    return factors


def house_w(rng):
    load = [180.0 + (120.0 if (m % 45) < 15 else 0.0) for m in range(1440)]

    def add(start_h, minutes, watts):
        s = int(start_h * 60)
        for m in range(s, min(1440, s + minutes)):
            load[m] += watts

    add(6 + 40 / 60, 4, 2000)                  # kettle and coffee
    add(10.0, 20, 2100); add(10 + 20 / 60, 60, 250)   # washing machine
    for m in range(11 * 60 + 50, 12 * 60 + 35):
        load[m] += rng.uniform(1500, 3000)     # cooking, lunch
    add(13.5, 25, 2000); add(13.5 + 25 / 60, 40, 120)  # dishwasher
    for m in range(18 * 60, 18 * 60 + 45):
        load[m] += rng.uniform(1200, 2500)     # cooking, dinner
    add(19.0, 240, 300)                        # lights, television
    return [w * rng.uniform(0.95, 1.05) for w in load]


def rows():
    rng = random.Random(SEED)
    clouds = cloud_factors(rng)
    house = house_w(rng)
    for minute in range(1440):
        pv = clear_sky_w(minute) * clouds[minute] * rng.uniform(0.98, 1.02)
        yield minute, f"{minute // 60:02d}:{minute % 60:02d}", round(pv), round(house[minute])


def text():
    return "minute,time,pvW,houseW\n" + "".join(f"{m},{t},{p},{h}\n" for m, t, p, h in rows())


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        committed = (Path(__file__).with_name("pv-day.csv")).read_text()
        sys.exit(0 if committed == text() else "pv-day.csv differs from what pv_day.py generates")
    sys.stdout.write(text())
