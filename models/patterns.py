"""Fraud and abuse patterns, one function each (documented in models/generator.py)."""

from __future__ import annotations

from models.catalogue import (
    ACCESSORY,
    CATALOGUE,
    COUNTRIES,
    HIGH_END,
    PAYMENTS,
    SPEEDS,
    Draw,
    Order,
    assemble,
    discount,
    distinct,
    line,
)


def reshipping(d: Draw, n: int) -> Order:
    country = d.country()
    lines = [line(d, HIGH_END, country[1], d.pick((1, 2, 3), (60, 30, 10)))]
    if d.chance(0.3):
        lines.append(line(d, CATALOGUE[5], country[1], d.integer(1, 2)))
    return assemble(
        d,
        n,
        country=country,
        lines=distinct(lines),
        age=d.new_age(5, 25),
        speed=d.pick(SPEEDS, (10, 45, 45)),
        billing=d.other_country(country[0]) if d.chance(0.45) else country[0],
        payment=d.pick(PAYMENTS, (85, 15, 0, 0)),
        hour=d.hour(night=0.4),
        velocity=d.pick((0, 1, 2, 3, 5), (40, 25, 15, 10, 10)),
        median_ratio=None,
    )


def account_takeover(d: Draw, n: int) -> Order:
    country = d.country()
    home = country[0]
    if d.chance(0.6):
        code = d.other_country(home)
        country = next(c for c in COUNTRIES if c[0] == code)
    lines = [line(d, HIGH_END, country[1], d.integer(1, 2))]
    return assemble(
        d,
        n,
        country=country,
        lines=lines,
        age=max(200, d.old_age()),
        speed=d.pick(SPEEDS, (30, 40, 30)),
        billing=home,
        payment=d.pick(PAYMENTS, (70, 30, 0, 0)),
        hour=d.hour(night=0.5),
        velocity=d.integer(1, 4),
        median_ratio=d.uniform(8.0, 40.0),
    )


def card_testing(d: Draw, n: int) -> Order:
    country = d.country()
    code = line(d, ("CODE", 5.0, 0.6), country[1], 1)
    return assemble(
        d,
        n,
        country=country,
        lines=[code],
        age=d.new_age(15, 60),
        speed="standard",
        billing=d.other_country(country[0]) if d.chance(0.3) else country[0],
        payment="card",
        hour=d.uniform(0.0, 24.0),
        velocity=d.integer(5, 40),
        median_ratio=d.uniform(0.5, 2.0) if d.chance(0.3) else None,
    )


def reseller(d: Draw, n: int) -> Order:
    country = d.country()
    if d.chance(0.7):
        lines = [line(d, ACCESSORY, country[1], d.integer(8, 60))]
    else:
        lines = [line(d, HIGH_END, country[1], d.integer(3, 8))]
    return assemble(
        d,
        n,
        country=country,
        lines=lines,
        age=d.new_age(30, 120),
        speed=d.pick(SPEEDS, (50, 35, 15)),
        billing=d.other_country(country[0]) if d.chance(0.2) else country[0],
        payment=d.pick(PAYMENTS, (40, 0, 0, 60)),
        hour=d.hour(night=0.2),
        velocity=d.integer(0, 3),
        median_ratio=d.uniform(5.0, 30.0) if d.chance(0.3) else None,
    )


def promo_abuse(d: Draw, n: int) -> Order:
    country = d.country()
    kind = d.pick(CATALOGUE[:5])
    lines = [line(d, kind, country[1], d.integer(3, 15))]
    if d.chance(0.4):
        lines.append(line(d, d.pick(CATALOGUE[:5]), country[1], d.integer(2, 10)))
    lines = distinct(lines)
    discount(lines, d.uniform(0.45, 0.85))
    return assemble(
        d,
        n,
        country=country,
        lines=lines,
        age=d.new_age(3, 10),
        speed=d.pick(SPEEDS, (80, 15, 5)),
        billing=country[0],
        payment=d.pick(PAYMENTS, (50, 50, 0, 0)),
        hour=d.hour(),
        velocity=d.integer(2, 8),
        median_ratio=None,
    )


def triangulation(d: Draw, n: int) -> Order:
    country = d.country()
    lines = distinct(
        [
            line(d, d.pick(CATALOGUE[1:3]), country[1], d.integer(1, 3))
            for _ in range(d.integer(3, 6))
        ]
    )
    return assemble(
        d,
        n,
        country=country,
        lines=lines,
        age=d.integer(30, 200),
        speed="standard",
        billing=d.other_country(country[0]),
        payment="card",
        hour=d.uniform(20.0, 23.9),
        velocity=d.integer(2, 6),
        median_ratio=None,
    )
