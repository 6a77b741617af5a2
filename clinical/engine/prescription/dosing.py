"""Working out one drug's dose for one patient: adult, paediatric (the adult dose from an age,
an age- or weight-banded dose, or mg/kg), renal adjustment.

The arithmetic is spelt out in every result (``basis``), because a clinician checking a dose needs
to see how it was reached, not just the number. Knowledge-base doses are used as written; only a
computed weight-based dose is rounded, and it is rounded *down* to two significant figures
(30 mg/kg x 13.3 kg = 399 mg gives 390 mg): never above the weight-based dose or the cap, and at
most 10% below it, which is within the tolerance of measuring a liquid dose.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Decimal

from clinical.engine.contract.requests import PatientInfo
from clinical.engine.knowledge.schema import (
    MONTHS_PER_YEAR,
    DoseBand,
    Drug,
    PaediatricDose,
    RegimenDrug,
    RenalBand,
)

_SIGNIFICANT_FIGURES = 2
_MG_PER_G = Decimal(1000)


@dataclass(frozen=True)
class Dose:
    """A worked-out dose: what to give, and how it was reached."""

    dose_mg: Decimal
    frequency: str
    route: str
    basis: str
    adjustments: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class DoseRefusal:
    """No safe dose can be worked out from the knowledge base for this patient."""

    reason: str


def number(value: float | Decimal) -> str:
    """A number as a clinician writes it: no trailing zeros, no exponent (25, 29.5, 0.125)."""
    return format(Decimal(str(value)).normalize(), "f")


def format_dose(dose_mg: Decimal, unit: str = "mg") -> str:
    """``500 mg``; below 1 mg in micrograms written in full (never "mcg"); 1 g and above in g.
    A drug dosed in units is written in units ("100,000 units")."""
    if unit == "units":
        return f"{dose_mg:,.0f} units"
    if dose_mg < 1:
        return f"{number(dose_mg * _MG_PER_G)} micrograms"
    if dose_mg >= _MG_PER_G:
        return f"{number(dose_mg / _MG_PER_G)} g"
    return f"{number(dose_mg)} mg"


def round_down(value: Decimal) -> Decimal:
    """``value`` rounded down to two significant figures (399 -> 390, 2.475 -> 2.4)."""
    if value <= 0:
        return value
    exponent = value.adjusted() - (_SIGNIFICANT_FIGURES - 1)
    return value.scaleb(-exponent).to_integral_value(rounding=ROUND_FLOOR).scaleb(exponent)


def applicable_band(drug: Drug, egfr: float | None) -> RenalBand | None:
    """The renal band for ``egfr``: bands are checked lowest threshold first; none if not given."""
    if egfr is None:
        return None
    for band in drug.renal:  # sorted by egfr_below on load
        if egfr < band.egfr_below:
            return band
    return None


def age_text(age_years: float) -> str:
    """An age as a clinician says it: months under 2 years, years from then on."""
    if age_years < 2:
        return _months(round(age_years * 12, 1))
    return f"{number(age_years)} years"


def _younger_than(age_years: float, months: float) -> bool:
    """Ages arrive as fractions of a year (1/12 for a month): compare months to 6 places."""
    return round(age_years * 12, 6) < months


def _months(months: float) -> str:
    return f"{number(months)} month{'' if months == 1 else 's'}"


def dose_for(
    drug: Drug,
    item: RegimenDrug,
    patient: PatientInfo,
    band: RenalBand | None,
    *,
    adult_from_years: float,
) -> Dose | DoseRefusal:
    """The dose of ``drug`` as the regimen ``item`` gives it, for this patient and renal band; a
    patient of ``adult_from_years`` or older (the knowledge base's prescribing policy) is dosed
    as an adult."""
    if patient.age >= adult_from_years:
        dose: Dose | DoseRefusal = _adult_dose(drug, item)
    else:
        dose = _paediatric_dose(drug, item, patient, adult_from_years)
    if isinstance(dose, DoseRefusal) or band is None or band.action != "reduce":
        return dose
    if band.repeated_doses_only and item.single_dose:
        where = f"eGFR {number(patient.egfr or 0)} below {number(band.egfr_below)}"
        return replace(
            dose,
            basis=f"{dose.basis}; {where}: a single dose needs no reduction "
            f"({band.advice}) [{band.source}]",
        )
    return _renal_reduction(dose, band, patient)


def _adult_dose(drug: Drug, item: RegimenDrug) -> Dose:
    overridden = item.dose_mg is not None or item.frequency is not None
    return Dose(
        dose_mg=Decimal(str(item.dose_mg if item.dose_mg is not None else drug.adult.dose_mg)),
        frequency=item.frequency or drug.adult.frequency,
        route=item.route or drug.route,
        basis="adult dose for this indication" if overridden else f"adult dose [{drug.sources[0]}]",
    )


def _paediatric_dose(
    drug: Drug, item: RegimenDrug, patient: PatientInfo, adult_from_years: float
) -> Dose | DoseRefusal:
    """A child's dose, tried in this order: the adult dose from ``adult_dose_from_years``; the
    regimen item's own mg/kg; the band covering the child's age and weight; the drug's mg/kg.
    A weight-based dose is rounded down and capped (at ``max_dose_mg``, else the adult dose)."""
    child = drug.paediatric
    minimum = child.min_age_months if child is not None else None
    if minimum is not None and _younger_than(patient.age, minimum):
        reason = (
            f"age {age_text(patient.age)} is below the minimum age of "
            f"{_months(minimum)} for {drug.name}"
        )
        if child is not None and child.not_licensed is not None:
            reason += f": {child.not_licensed} [{child.source or drug.sources[0]}]"
        return DoseRefusal(reason)
    cited = f" [{child.source or drug.sources[0]}]" if child else ""
    adult_from = child.adult_dose_from_years if child else None
    if adult_from is not None and patient.age >= adult_from:
        adult = _adult_dose(drug, item)
        basis = f"the adult dose applies from age {number(adult_from)}"
        return replace(adult, basis=f"{adult.basis}; {basis}{cited}")
    if item.paediatric_mg_per_kg is not None:
        frequency = child.frequency if child and child.frequency else drug.adult.frequency
        cap = item.paediatric_max_dose_mg or (child.max_dose_mg if child else None)
        return _weight_based(drug, item, patient, item.paediatric_mg_per_kg, cap, frequency, cited)
    band = _band_for(child, patient) if child else None
    if band is not None:
        return _band_dose(drug, item, patient, band, cited)
    if child is not None and child.mg_per_kg is not None and child.frequency is not None:
        cap = item.paediatric_max_dose_mg or child.max_dose_mg
        return _weight_based(drug, item, patient, child.mg_per_kg, cap, child.frequency, cited)
    return DoseRefusal(_no_child_dose(drug, patient, adult_from_years))


def _band_for(child: PaediatricDose, patient: PatientInfo) -> DoseBand | None:
    age_months = round(patient.age * MONTHS_PER_YEAR, 6)
    for band in child.bands:
        if band.covers(age_months, patient.weight):
            return band
    return None


def _band_dose(
    drug: Drug, item: RegimenDrug, patient: PatientInfo, band: DoseBand, cited: str
) -> Dose:
    if band.mg_per_kg is not None:
        weighed = _weight_based(
            drug, item, patient, band.mg_per_kg, band.max_dose_mg, band.frequency, cited
        )
        return replace(weighed, basis=f"{band_label(band)}: {weighed.basis}")
    assert band.dose_mg is not None
    return Dose(
        dose_mg=Decimal(str(band.dose_mg)),
        frequency=band.frequency,
        route=item.route or drug.route,
        basis=f"{band_label(band)}: fixed dose {_band_fixed_dose(drug, band)}{cited}",
    )


def _band_fixed_dose(drug: Drug, band: DoseBand) -> str:
    assert band.dose_mg is not None
    return format_dose(Decimal(str(band.dose_mg)), drug.dose_unit)


def band_label(band: DoseBand) -> str:
    """A band as BNF for Children words it ("child 2-5 years", "child 1-11 months", "child
    12 years and over"), with its weight range if it has one. A band ends before the age that
    closes it: "2-5 years" runs to the 6th birthday."""
    start, until = band.from_months, band.until_months
    if until is None:
        ages = f"{_age_words(start)} and over"
    elif until <= 2 * MONTHS_PER_YEAR:
        ages = f"{number(start)}-{number(until - 1)} months"
    elif start > 0 and start % MONTHS_PER_YEAR == 0 and until % MONTHS_PER_YEAR == 0:
        first, last = start / MONTHS_PER_YEAR, until / MONTHS_PER_YEAR - 1
        span = number(first) if first == last else f"{number(first)}-{number(last)}"
        ages = f"{span} years"
    elif start == 0:
        ages = f"under {_age_words(until)}"
    else:
        ages = f"{_age_words(start)} to under {_age_words(until)}"
    weight = f", body-weight {band.weight.describe()}" if band.weight else ""
    return f"child {ages}{weight}"


def _age_words(months: float) -> str:
    if months % MONTHS_PER_YEAR == 0:
        years = months / MONTHS_PER_YEAR
        return f"{number(years)} year{'' if years == 1 else 's'}"
    return _months(months)


def _weight_based(
    drug: Drug,
    item: RegimenDrug,
    patient: PatientInfo,
    mg_per_kg: float,
    max_dose_mg: float | None,
    frequency: str,
    cited: str,
) -> Dose:
    """mg/kg x weight per dose, rounded down, capped at ``max_dose_mg`` (else the adult dose)."""
    adult = _adult_dose(drug, item)
    cap = Decimal(str(max_dose_mg)) if max_dose_mg else adult.dose_mg
    weight_based = Decimal(str(mg_per_kg)) * Decimal(str(patient.weight))
    rounded = round_down(weight_based)
    basis = (
        f"child: {number(mg_per_kg)} mg/kg x {number(patient.weight)} kg = "
        f"{number(weight_based)} mg"
    )
    if rounded != weight_based:
        basis += f", rounded down to {format_dose(rounded)} (2 significant figures)"
    if rounded > cap:
        basis += f", capped at the maximum single dose of {format_dose(cap)}"
    return Dose(
        dose_mg=min(rounded, cap),
        frequency=frequency,
        route=adult.route,
        basis=basis + cited,
    )


def _no_child_dose(drug: Drug, patient: PatientInfo, adult_from_years: float) -> str:
    """Why a child gets no dose: what the knowledge base holds for which ages, and why not."""
    reason = (
        f"no paediatric dose for {drug.name} in the knowledge base "
        f"(age {age_text(patient.age)}, under {number(adult_from_years)})"
    )
    child = drug.paediatric
    if child is None:
        return reason
    covered = [band_label(band) for band in child.bands]
    if child.adult_dose_from_years is not None:
        covered.append(f"the adult dose from age {number(child.adult_dose_from_years)}")
    if covered:
        reason += f"; it gives doses for: {', '.join(covered)}"
    if child.not_licensed is not None:
        reason += f"; {child.not_licensed}"
    return f"{reason} [{child.source or drug.sources[0]}]"


def _renal_reduction(dose: Dose, band: RenalBand, patient: PatientInfo) -> Dose:
    """A ``reduce`` band: its dose is a ceiling (never raises a dose), its frequency replaces."""
    reduced = dose.dose_mg
    if band.dose_mg is not None:
        reduced = min(reduced, Decimal(str(band.dose_mg)))
    frequency = band.frequency or dose.frequency
    change = f"eGFR {number(patient.egfr or 0)} below {number(band.egfr_below)}: "
    if reduced == dose.dose_mg and frequency == dose.frequency:
        change += f"no change to this dose needed ({band.advice}) [{band.source}]"
    else:
        change += f"reduced to {format_dose(reduced)} {frequency} ({band.advice}) [{band.source}]"
    return Dose(
        dose_mg=reduced,
        frequency=frequency,
        route=dose.route,
        basis=f"{dose.basis}; {change}",
        adjustments=(*dose.adjustments, change),
    )
