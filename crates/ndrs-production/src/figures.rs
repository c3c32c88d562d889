//! The production stage's figures for a cycle: the full-volume model at the central values over
//! the cycle's usable returns, with the intervals of the model run over exactly those inputs,
//! and growth against the previous cycle; and the organiser's model runs over the same inputs.

use ndrs_core::{Error, Result};
use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{StageCore, StageFigures, cycle_request_checks, inputs_hash};
use ndrs_proto::v1 as pb;

use crate::domain::{DeviceParameters, StorageMediumFigures};
use crate::model;
use crate::runs::{self, ModelRuns, StoredRun};

/// The model's inputs of one cycle: the latest usable device and medium returns.
pub struct Inputs {
    pub devices: Vec<(StoredReturn, DeviceParameters)>,
    pub media: Vec<(StoredReturn, StorageMediumFigures)>,
}

/// The cycle's latest returns the model may use, and those set aside because a number in them
/// is beyond its plausibility bound.
pub async fn inputs(
    core: &StageCore,
    cycle_year: i32,
) -> Result<(Inputs, Vec<pb::SetAsideReturn>)> {
    let (devices, mut set_aside) = core.load_usable::<DeviceParameters>(cycle_year).await?;
    let (media, media_set_aside) = core.load_usable::<StorageMediumFigures>(cycle_year).await?;
    set_aside.extend(media_set_aside);
    Ok((Inputs { devices, media }, set_aside))
}

/// The figures a model run's outputs give intervals to: the national model figures and the
/// production by category.
const FIGURES_WITH_INTERVALS: [&str; 7] = ["P01", "P03", "P04", "P05", "P06", "P07", "P15"];

/// The output of a model run that carries a figure's interval, if any.
fn output_name(figure: &pb::Figure) -> Option<String> {
    match (figure.id.as_str(), figure.dimensions.get("category")) {
        (id, None) if FIGURES_WITH_INTERVALS.contains(&id) => Some(figure.id.clone()),
        ("production.bytes", Some(category)) => Some(format!("production.bytes/{category}")),
        _ => None,
    }
}

/// Attaches a run's p5-p95 interval and top variance drivers to the figures it covers.
fn attach_intervals(figures: &mut [pb::Figure], run: &StoredRun) {
    for figure in figures.iter_mut() {
        let Some(output) = output_name(figure).and_then(|name| run.result.output(&name)) else {
            continue;
        };
        figure.interval = Some(pb::Interval {
            lower: output.p5,
            upper: output.p95,
            level: 0.90,
            method: format!(
                "seeded Monte Carlo over the stated parameter uncertainties: p5-p95 of {} draws (seed {})",
                run.result.draws, run.result.seed
            ),
        });
        if let Some(lineage) = figure.lineage.as_mut() {
            lineage.parameters.push(format!("model-run:{}", run.run_id));
            lineage.parameters.extend(
                output
                    .sensitivity
                    .iter()
                    .take(5)
                    .map(|c| format!("{} (variance share {:.3})", c.parameter, c.variance_share)),
            );
        }
    }
}

/// The cycle's central figures with intervals from the run over exactly the current inputs
/// (made with the default seed when none exists), and growth against the previous cycle.
pub async fn stage_figures(
    core: &StageCore,
    runs: &ModelRuns,
    cycle_year: i32,
) -> Result<StageFigures> {
    let (Inputs { devices, media }, set_aside) = inputs(core, cycle_year).await?;
    let mut figures = model::figures(&devices, &media);
    let mut notes = Vec::new();
    let refs = runs::inputs_of(&devices, &media);
    if !refs.is_empty() {
        let hash = inputs_hash(refs.iter().map(String::as_str));
        let run = match runs.cited(cycle_year, &hash).await? {
            Some(run) => Some(run),
            None => match runs.default_run(cycle_year, &devices, &media).await {
                Ok(run) => Some(run),
                // The central figures stand without intervals rather than the whole stage
                // failing; the note says why.
                Err(Error::FailedPrecondition(why)) => {
                    notes.push(format!("figures carry no intervals: {why}"));
                    None
                }
                Err(e) => return Err(e),
            },
        };
        if let Some(run) = run {
            attach_intervals(&mut figures, &run);
        }
    }
    let (previous, _) = inputs(core, cycle_year - 1).await?;
    if !previous.devices.is_empty() {
        let previous = model::figures(&previous.devices, &previous.media);
        figures.extend(model::growth_figures(&figures, &previous));
    }
    Ok(StageFigures {
        figures,
        returns_used: (devices.len() + media.len()) as u64,
        notes,
        set_aside,
    })
}

/// `RunModel` once the caller may run it: a seeded run over the cycle's usable inputs, stored.
pub async fn run_model(
    core: &StageCore,
    runs: &ModelRuns,
    request: pb::RunModelRequest,
    requested_by: &str,
) -> Result<StoredRun> {
    let pb::RunModelRequest {
        cycle_year,
        seed,
        draws,
    } = request;
    let mut v = cycle_request_checks(cycle_year);
    v.check(
        draws <= runs::MAX_DRAWS,
        "draws",
        format!("at most {}", runs::MAX_DRAWS),
    );
    v.finish(())?;
    let draws = if draws == 0 {
        runs::DEFAULT_DRAWS
    } else {
        draws
    };
    let (Inputs { devices, media }, _) = inputs(core, cycle_year).await?;
    runs.run(cycle_year, &devices, &media, seed, draws, requested_by)
        .await
}

/// `GetModelRun`: a run by id, or the latest of a cycle; exactly one of the two is given.
pub async fn get_model_run(runs: &ModelRuns, request: pb::GetModelRunRequest) -> Result<StoredRun> {
    use pb::get_model_run_request::Run;
    match request.run {
        Some(Run::RunId(id)) if !id.is_empty() => runs.get(&id).await,
        Some(Run::CycleYear(year)) if year != 0 => runs
            .latest(year)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no model run for cycle {year}"))),
        _ => Err(Error::invalid("run", "give a run id or a cycle year")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn national(id: &str) -> pb::Figure {
        pb::Figure {
            id: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn model_figures_and_production_by_category_carry_intervals() {
        for id in FIGURES_WITH_INTERVALS {
            assert_eq!(output_name(&national(id)), Some(id.to_string()));
        }
        let mut by_category = national("production.bytes");
        by_category
            .dimensions
            .insert("category".into(), "iot_sensing".into());
        assert_eq!(
            output_name(&by_category).as_deref(),
            Some("production.bytes/iot_sensing")
        );
    }

    #[test]
    fn growth_and_derived_figures_carry_none() {
        for id in ["P02", "P08", "P16", "P17", "production.bytes"] {
            assert_eq!(output_name(&national(id)), None, "{id}");
        }
        let mut p01_by_category = national("P01");
        p01_by_category
            .dimensions
            .insert("category".into(), "iot_sensing".into());
        assert_eq!(output_name(&p01_by_category), None);
    }
}
