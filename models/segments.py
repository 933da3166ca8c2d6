"""Normal traffic: everyday orders and the legitimate segments that look risky."""

from __future__ import annotations

import math

from models.catalogue import (
    CATALOGUE,
    HIGH_END,
    OFFICE,
    PAYMENTS,
    SPEEDS,
    USD_PER,
    Draw,
    Order,
    assemble,
    discount,
    distinct,
    everyday_lines,
    line,
    total,
)


def everyday(d: Draw, n: int) -> Order:
    country = d.country()
    lines = everyday_lines(d, country[1])
    if d.chance(0.35):
        off = d.pick((0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4), (20, 30, 20, 15, 8, 5, 2))
        discount(lines, off)
    age = d.new_age(12, 29) if d.chance(0.07) else d.old_age()
    payment = d.pick(PAYMENTS, (66, 22, 4, 8))
    big = total(lines) * USD_PER[country[1]] > 300
    if payment == "gift_card" and big and d.chance(0.7):
        payment = "card"
    has_history = age >= 30 or d.chance(0.3)
    return assemble(
        d,
        n,
        country=country,
        lines=lines,
        age=age,
        speed=d.pick(SPEEDS, (80, 15, 5)),
        billing=country[0] if d.chance(0.97) else d.other_country(country[0]),
        payment=payment,
        hour=d.hour(),
        velocity=d.pick((0, 1, 2, 3), (85, 11, 3, 1)),
        median_ratio=math.exp(d.rng.gauss(0.0, 0.55)) if has_history else None,
    )


def new_big_buyer(d: Draw, n: int) -> Order:
    country = d.country()
    return assemble(
        d,
        n,
        country=country,
        lines=[line(d, HIGH_END, country[1], 1)],
        age=d.new_age(10, 29),
        speed=d.pick(SPEEDS, (45, 35, 20)),
        billing=country[0] if d.chance(0.97) else d.other_country(country[0]),
        payment=d.pick(PAYMENTS, (80, 20, 0, 0)),
        hour=d.hour(),
        velocity=d.pick((0, 1), (90, 10)),
        median_ratio=None,
    )


def splurge(d: Draw, n: int) -> Order:
    country = d.country()
    kind = d.pick((HIGH_END, CATALOGUE[5]))
    return assemble(
        d,
        n,
        country=country,
        lines=[line(d, kind, country[1], 1)],
        age=d.old_age(),
        speed=d.pick(SPEEDS, (60, 30, 10)),
        billing=country[0],
        payment=d.pick(PAYMENTS, (75, 20, 5, 0)),
        hour=d.hour(),
        velocity=d.pick((0, 1), (85, 15)),
        median_ratio=d.uniform(4.0, 12.0),
    )


def business(d: Draw, n: int) -> Order:
    country = d.country()
    lines = [line(d, OFFICE, country[1], d.integer(20, 60))]
    if d.chance(0.5):
        lines.append(line(d, CATALOGUE[1], country[1], d.integer(1, 5)))
    return assemble(
        d,
        n,
        country=country,
        lines=distinct(lines),
        age=d.old_age(),
        speed=d.pick(SPEEDS, (85, 15, 0)),
        billing=country[0],
        payment=d.pick(PAYMENTS, (60, 0, 40, 0)),
        hour=d.uniform(8.0, 18.0),
        velocity=d.pick((0, 1, 2), (70, 20, 10)),
        median_ratio=math.exp(d.rng.gauss(0.0, 0.4)),
    )
