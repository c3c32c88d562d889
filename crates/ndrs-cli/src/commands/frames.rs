//! `ndrs design load|show` and `ndrs register load|show`: the application survey's sample design
//! and the compute census's centre register, from files in the proto3 JSON mapping (or TOML).
//! `show --output json` prints a file `load` accepts again.

use std::path::Path;

use ndrs_client::{files, frames};
use ndrs_core::{Error, Result};
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::session;
use crate::cli::{FrameCommand, Global};
use crate::output::{emit, fields};

/// The file's cycle, or `--cycle` where the file names none; the two must agree when both are
/// given.
fn cycle_of(file_cycle: i32, flag: Option<i32>, path: &Path) -> Result<i32> {
    match (file_cycle, flag) {
        (0, Some(cycle)) => Ok(cycle),
        (0, None) => Err(Error::invalid(
            "cycle_year",
            format!("{} names no cycle; pass --cycle", path.display()),
        )),
        (file, Some(flag)) if file != flag => Err(Error::invalid(
            "cycle_year",
            format!("{} is for cycle {file}, not --cycle {flag}", path.display()),
        )),
        (file, _) => Ok(file),
    }
}

pub(super) async fn design(command: FrameCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    match command {
        FrameCommand::Load { file, cycle } => {
            let mut request: pb::LoadSampleDesignRequest = files::read_message(&file)?;
            request.cycle_year = cycle_of(request.cycle_year, cycle, &file)?;
            let s = frames::load_design(&session, request).await?;
            emit(global.output, &s, |s| {
                fields(&[
                    ("cycle", s.cycle_year.to_string()),
                    ("version", s.version.to_string()),
                    ("units", s.units.to_string()),
                    ("strata", s.strata.to_string()),
                    ("content hash", s.content_hash.clone()),
                    ("loaded", display(s.loaded_at.as_ref())),
                ])
            });
        }
        FrameCommand::Show { cycle, version } => {
            let design = frames::design(&session, cycle, version).await?;
            emit(global.output, &design, |d| {
                let s = d.summary.clone().unwrap_or_default();
                fields(&[
                    ("cycle", s.cycle_year.to_string()),
                    ("version", s.version.to_string()),
                    ("units", d.units.len().to_string()),
                    ("strata", d.strata.len().to_string()),
                    ("content hash", s.content_hash),
                    ("loaded", display(s.loaded_at.as_ref())),
                    ("loaded by", s.loaded_by),
                ])
            });
        }
    }
    Ok(())
}

pub(super) async fn register(command: FrameCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    match command {
        FrameCommand::Load { file, cycle } => {
            let mut request: pb::LoadCentreRegistryRequest = files::read_message(&file)?;
            request.cycle_year = cycle_of(request.cycle_year, cycle, &file)?;
            let s = frames::load_register(&session, request).await?;
            emit(global.output, &s, |s| {
                fields(&[
                    ("cycle", s.cycle_year.to_string()),
                    ("version", s.version.to_string()),
                    ("centres", s.centres.to_string()),
                    ("content hash", s.content_hash.clone()),
                    ("loaded", display(s.loaded_at.as_ref())),
                ])
            });
        }
        FrameCommand::Show { cycle, version } => {
            let register = frames::register(&session, cycle, version).await?;
            emit(global.output, &register, |r| {
                let s = r.summary.clone().unwrap_or_default();
                fields(&[
                    ("cycle", s.cycle_year.to_string()),
                    ("version", s.version.to_string()),
                    ("centres", r.centres.len().to_string()),
                    ("content hash", s.content_hash),
                    ("loaded", display(s.loaded_at.as_ref())),
                    ("loaded by", s.loaded_by),
                ])
            });
        }
    }
    Ok(())
}
