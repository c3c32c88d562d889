//! Validation of a design load: every field of the request checked, every problem named, so a
//! design that is stored can always be estimated from.

use super::*;

/// Validates a design load, naming every bad field.
pub fn design_from_proto(
    request: pb::LoadSampleDesignRequest,
) -> ndrs_core::Result<(i32, SampleDesign)> {
    let pb::LoadSampleDesignRequest {
        cycle_year,
        units,
        strata,
        weighting,
        variance,
    } = request;
    let mut v = cycle_request_checks(cycle_year);
    v.check(
        !units.is_empty(),
        "units",
        "a design needs at least one sampled unit",
    );
    // Refused before anything is built from them: the lists are not even looked at.
    v.items("units", units.len(), MAX_SAMPLE_UNITS);
    v.items("strata", strata.len(), MAX_STRATA);
    let (units, strata) = if units.len() > MAX_SAMPLE_UNITS || strata.len() > MAX_STRATA {
        (Vec::new(), Vec::new())
    } else {
        (units, strata)
    };

    let mut seen = BTreeSet::new();
    let mut out_units = Vec::with_capacity(units.len());
    for (i, u) in units.into_iter().enumerate() {
        let pb::SampleUnit {
            reporting_unit_id,
            stratum,
            psu,
            design_weight,
            subject_type,
            size_class,
            province_code,
            industry,
        } = u;
        let f = |name: &str| format!("units[{i}].{name}");
        check_identifier(&f("reporting_unit_id"), &reporting_unit_id, &mut v);
        if !seen.insert(reporting_unit_id.clone()) {
            v.push(f("reporting_unit_id"), "unit listed twice");
        }
        check_identifier(&f("stratum"), &stratum, &mut v);
        if !psu.is_empty() {
            check_identifier(&f("psu"), &psu, &mut v);
        }
        // A design weight is 1 / inclusion probability, so it cannot be below 1.
        v.check(
            design_weight.is_finite() && design_weight >= 1.0,
            f("design_weight"),
            "must be a finite number of at least 1 (the inverse of an inclusion probability)",
        );
        let subject = SubjectType::from_i32(subject_type);
        match subject {
            None => v.push(f("subject_type"), "unknown subject type"),
            Some(t)
                if !matches!(
                    t.group(),
                    SubjectGroup::Enterprise | SubjectGroup::Government | SubjectGroup::Research
                ) =>
            {
                v.push(
                    f("subject_type"),
                    format!("{} does not answer the application questionnaire", t.code()),
                )
            }
            Some(_) => {}
        }
        let size = if size_class == 0 {
            None
        } else {
            let s = SizeClass::from_i32(size_class);
            v.check(s.is_some(), f("size_class"), "unknown size class");
            s
        };
        if subject.is_some_and(|t| t.group() == SubjectGroup::Enterprise) {
            v.check(
                size.is_some(),
                f("size_class"),
                "is required for enterprises",
            );
        }
        check_province(f("province_code"), &province_code, &mut v);
        let industry = if industry.is_empty() {
            None
        } else {
            let group = IndustryGroup::from_code(&industry);
            v.check(
                group.is_some(),
                f("industry"),
                "is not an industry group code",
            );
            group
        };
        if let Some(subject_type) = subject {
            out_units.push(SampledUnit {
                psu: if psu.is_empty() {
                    reporting_unit_id.clone()
                } else {
                    psu
                },
                reporting_unit_id,
                stratum,
                design_weight,
                subject_type,
                size_class: size,
                province_code,
                industry,
            });
        }
    }
    out_units.sort_by(|a, b| a.reporting_unit_id.cmp(&b.reporting_unit_id));
    let sampled_strata: BTreeSet<&str> = out_units.iter().map(|u| u.stratum.as_str()).collect();

    let mut out_strata = Vec::with_capacity(strata.len());
    let mut seen_strata = BTreeSet::new();
    for (i, s) in strata.into_iter().enumerate() {
        let pb::StratumPopulation {
            stratum,
            population_psus,
            certainty,
        } = s;
        let f = |name: &str| format!("strata[{i}].{name}");
        v.check(
            sampled_strata.contains(stratum.as_str()),
            f("stratum"),
            "no sampled unit is in this stratum",
        );
        if !seen_strata.insert(stratum.clone()) {
            v.push(f("stratum"), "stratum listed twice");
        }
        v.check(
            population_psus.is_finite() && population_psus >= 0.0,
            f("population_psus"),
            "must be a finite number, at least 0 (0 = unknown)",
        );
        if population_psus > 0.0 {
            let sampled_psus = out_units
                .iter()
                .filter(|u| u.stratum == stratum)
                .map(|u| u.psu.as_str())
                .collect::<BTreeSet<_>>()
                .len();
            v.check(
                population_psus >= sampled_psus as f64,
                f("population_psus"),
                format!("is below the {sampled_psus} PSUs sampled in the stratum"),
            );
        }
        out_strata.push(StratumInfo {
            stratum,
            population_psus: (population_psus > 0.0).then_some(population_psus),
            certainty,
        });
    }
    out_strata.sort_by(|a, b| a.stratum.cmp(&b.stratum));

    let weighting = weighting_from_proto(weighting.unwrap_or_default(), &out_units, &mut v);
    let (variance, confidence_level, lonely_psu, degrees_of_freedom) =
        variance_from_proto(variance.unwrap_or_default(), &mut v);
    v.finish((
        cycle_year,
        SampleDesign {
            units: out_units,
            strata: out_strata,
            weighting,
            variance,
            confidence_level,
            lonely_psu,
            degrees_of_freedom,
        },
    ))
}

fn weighting_from_proto(
    w: pb::WeightingSpecification,
    units: &[SampledUnit],
    v: &mut Violations,
) -> Weighting {
    let pb::WeightingSpecification {
        nonresponse_class,
        margins,
        raking_lower_bound,
        raking_upper_bound,
        trim_mean_multiple,
    } = w;
    let known = |name: &str| FRAME_VARIABLES.contains(&name);
    v.check(
        nonresponse_class.is_empty() || known(&nonresponse_class),
        "weighting.nonresponse_class",
        format!("must be empty or one of {}", FRAME_VARIABLES.join(", ")),
    );
    if nonresponse_class == "industry" {
        every_unit_has_an_industry(units, "weighting.nonresponse_class", v);
    }
    let mut out_margins = Vec::with_capacity(margins.len());
    let mut totals = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, m) in margins.into_iter().enumerate() {
        let pb::PopulationMargin { variable, targets } = m;
        let f = |name: &str| format!("weighting.margins[{i}].{name}");
        if !known(&variable) || variable == "stratum" {
            v.push(
                f("variable"),
                "must be one of subject_type, size_class, region, province, industry",
            );
            continue;
        }
        if variable == "industry" {
            every_unit_has_an_industry(units, &f("variable"), v);
        }
        if !seen.insert(variable.clone()) {
            v.push(f("variable"), "margin given twice");
        }
        v.check(
            !targets.is_empty(),
            f("targets"),
            "a margin needs at least one level",
        );
        let targets: BTreeMap<String, f64> = targets.into_iter().collect();
        for (level, count) in &targets {
            v.check(
                count.is_finite() && *count > 0.0,
                format!("weighting.margins[{i}].targets[{level}]"),
                "must be a positive population count",
            );
        }
        // Every sampled unit must fall in a level of the margin, or raking cannot place it.
        let levels_in_sample: BTreeSet<String> =
            units.iter().map(|u| u.frame_value(&variable)).collect();
        for level in &levels_in_sample {
            v.check(
                targets.contains_key(level),
                f("targets"),
                format!("no target for level {level:?}, which sampled units have"),
            );
        }
        for level in targets.keys() {
            v.check(
                levels_in_sample.contains(level),
                format!("weighting.margins[{i}].targets[{level}]"),
                "no sampled unit has this level, so the margin cannot be met",
            );
        }
        totals.push(targets.values().sum::<f64>());
        out_margins.push(Margin { variable, targets });
    }
    // Margins from different sources must describe the same population, or raking oscillates.
    if let Some(first) = totals.first() {
        for (i, t) in totals.iter().enumerate().skip(1) {
            v.check(
                ((t - first) / first).abs() <= 1e-6,
                format!("weighting.margins[{i}].targets"),
                format!("total {t} differs from the first margin's total {first}"),
            );
        }
    }
    let raking_bounds = match (raking_lower_bound, raking_upper_bound) {
        (lo, hi) if lo == 0.0 && hi == 0.0 => None,
        (lo, hi) => {
            v.check(
                lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= 1.0 && hi >= 1.0,
                "weighting.raking_lower_bound",
                "bounds must satisfy 0 < lower <= 1 <= upper",
            );
            Some((lo, hi))
        }
    };
    let trim = if trim_mean_multiple == 0.0 {
        None
    } else {
        v.check(
            trim_mean_multiple.is_finite() && trim_mean_multiple > 1.0,
            "weighting.trim_mean_multiple",
            "must be 0 (no trimming) or a multiple above 1",
        );
        Some(trim_mean_multiple)
    };
    Weighting {
        nonresponse_class: (!nonresponse_class.is_empty()).then_some(nonresponse_class),
        margins: out_margins,
        raking_bounds,
        trim_mean_multiple: trim,
    }
}

fn variance_from_proto(
    s: pb::VarianceSpecification,
    v: &mut Violations,
) -> (Variance, f64, LonelyPolicy, DegreesOfFreedom) {
    let pb::VarianceSpecification {
        method,
        replicates,
        seed,
        confidence_level,
        lonely_psu,
        degrees_of_freedom,
    } = s;
    v.check(
        method != pb::VarianceMethod::Unspecified as i32,
        "variance.method",
        "choose jackknife, bootstrap or taylor",
    );
    let variance =
        method_from_proto(method, replicates, seed, "variance", v).unwrap_or(Variance::Jackknife);
    let level = level_from_proto(confidence_level, "variance", v).unwrap_or(0.95);
    let df = df_from_proto(degrees_of_freedom, "variance", v).unwrap_or_default();
    let lonely = match pb::LonelyPsuPolicy::try_from(lonely_psu) {
        Ok(pb::LonelyPsuPolicy::Fail) => LonelyPolicy::Fail,
        Ok(pb::LonelyPsuPolicy::Certainty) => LonelyPolicy::Certainty,
        Ok(pb::LonelyPsuPolicy::Adjust) => {
            v.check(
                variance == Variance::Taylor,
                "variance.lonely_psu",
                "adjust (grand-mean centring) is defined for Taylor linearisation only",
            );
            LonelyPolicy::Adjust
        }
        _ => {
            v.push(
                "variance.lonely_psu",
                "choose how a stratum with one PSU is handled: fail, certainty or adjust",
            );
            LonelyPolicy::Fail
        }
    };
    (variance, level, lonely, df)
}

/// Industry is a weighting variable only when the frame gives every unit one: a unit without
/// would make a class (or a margin level) of its own.
fn every_unit_has_an_industry(units: &[SampledUnit], field: &str, v: &mut Violations) {
    let without: Vec<&str> = units
        .iter()
        .filter(|u| u.industry.is_none())
        .map(|u| u.reporting_unit_id.as_str())
        .collect();
    if let Some(first) = without.first() {
        v.push(
            field,
            format!(
                "industry is a weighting variable only when every sampled unit has one; {} \
                 do not (first: {first})",
                without.len()
            ),
        );
    }
}

/// A variance method by its proto fields; `None` when unspecified or unknown (an unknown one
/// is named in `v`; whether unspecified is allowed is the caller's to say).
fn method_from_proto(
    method: i32,
    replicates: u32,
    seed: u64,
    prefix: &str,
    v: &mut Violations,
) -> Option<Variance> {
    match pb::VarianceMethod::try_from(method) {
        Ok(pb::VarianceMethod::Jackknife) => Some(Variance::Jackknife),
        Ok(pb::VarianceMethod::Taylor) => Some(Variance::Taylor),
        Ok(pb::VarianceMethod::Bootstrap) => {
            v.check(
                (20..=MAX_REPLICATES).contains(&replicates),
                format!("{prefix}.replicates"),
                format!("a bootstrap needs between 20 and {MAX_REPLICATES} replicates"),
            );
            Some(Variance::Bootstrap { replicates, seed })
        }
        Ok(pb::VarianceMethod::Unspecified) => None,
        Err(_) => {
            v.push(
                format!("{prefix}.method"),
                "choose jackknife, bootstrap or taylor",
            );
            None
        }
    }
}

/// A confidence level; `None` for 0 (the default).
fn level_from_proto(level: f64, prefix: &str, v: &mut Violations) -> Option<f64> {
    if level == 0.0 {
        return None;
    }
    v.check(
        level > 0.5 && level < 1.0,
        format!("{prefix}.confidence_level"),
        "must be between 0.5 and 1 (0 = the default)",
    );
    Some(level)
}

/// A degrees-of-freedom convention; `None` when unspecified.
fn df_from_proto(df: i32, prefix: &str, v: &mut Violations) -> Option<DegreesOfFreedom> {
    match pb::DegreesOfFreedom::try_from(df) {
        Ok(pb::DegreesOfFreedom::Unspecified) => None,
        Ok(pb::DegreesOfFreedom::Domain) => Some(DegreesOfFreedom::Domain),
        Ok(pb::DegreesOfFreedom::Design) => Some(DegreesOfFreedom::Design),
        Err(_) => {
            v.push(
                format!("{prefix}.degrees_of_freedom"),
                "choose domain or design (or leave unspecified)",
            );
            None
        }
    }
}

/// A `GetEstimates` request's statement of precision over the design's: every unset field
/// takes the design's. Errors name `precision.<field>`.
pub fn precision_from_proto(
    requested: Option<pb::PrecisionRequest>,
    design: &SampleDesign,
    v: &mut Violations,
) -> Precision {
    let own = design.precision();
    let Some(r) = requested else {
        return own;
    };
    let variance =
        method_from_proto(r.method, r.replicates, r.seed, "precision", v).unwrap_or(own.variance);
    if !matches!(variance, Variance::Bootstrap { .. }) && (r.replicates != 0 || r.seed != 0) {
        v.push(
            "precision.replicates",
            "replicates and seed apply to a bootstrap only",
        );
    }
    if design.lonely_psu == LonelyPolicy::Adjust && variance != Variance::Taylor {
        v.push(
            "precision.method",
            "the design centres lonely PSUs on the grand mean (adjust), which is defined for \
             Taylor linearisation only",
        );
    }
    Precision {
        variance,
        confidence_level: level_from_proto(r.confidence_level, "precision", v)
            .unwrap_or(own.confidence_level),
        degrees_of_freedom: df_from_proto(r.degrees_of_freedom, "precision", v)
            .unwrap_or(own.degrees_of_freedom),
    }
}
