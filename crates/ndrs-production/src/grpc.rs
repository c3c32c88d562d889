//! gRPC transport of the production and storage service: authenticate, convert, call the domain,
//! map the error.

use ndrs_platform::IntoStatus;
use ndrs_platform::auth::IdentityStore;
use ndrs_platform::plausibility::Plausibility;
use ndrs_platform::returns::ReturnStore;
use ndrs_platform::stage::{self, ReturnReader};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::production_storage_service_server::{
    ProductionStorageService, ProductionStorageServiceServer,
};
use tonic::{Request, Response, Status};

use ndrs_core::Error;
use ndrs_platform::auth::Role;

use crate::domain::{self, DeviceParameters, StorageMediumFigures};
use crate::model;
use crate::runs::{self, ModelRuns, StoredRun};
use crate::taxonomy::{self, Taxonomies};

pub const DEVICE_KIND: &str = "device_parameters";
pub const MEDIUM_KIND: &str = "storage_medium";

pub struct ProductionStorage {
    store: ReturnStore,
    runs: ModelRuns,
    taxonomies: Taxonomies,
    identity: IdentityStore,
    reader: ReturnReader,
    plausibility: Plausibility,
}

/// What the stage computes for a cycle, before it is wrapped as a stage result.
struct StageFigures {
    figures: Vec<pb::Figure>,
    used: usize,
    notes: Vec<String>,
    set_aside: Vec<pb::SetAsideReturn>,
}

type Inputs = (
    Vec<(ndrs_platform::returns::StoredReturn, DeviceParameters)>,
    Vec<(ndrs_platform::returns::StoredReturn, StorageMediumFigures)>,
);

/// The output of a model run that carries a figure's interval, if any.
fn output_name(figure: &pb::Figure) -> Option<String> {
    match (figure.id.as_str(), figure.dimensions.get("category")) {
        ("P01" | "P03" | "P04" | "P05" | "P06" | "P07" | "P15", None) => Some(figure.id.clone()),
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

impl ProductionStorage {
    pub fn new(store: ReturnStore, identity: IdentityStore, plausibility: Plausibility) -> Self {
        Self {
            reader: ReturnReader::new(store.clone(), identity.clone()),
            runs: ModelRuns::new(store.connection().clone()),
            taxonomies: Taxonomies::new(&store),
            store,
            identity,
            plausibility,
        }
    }

    /// The cycle's latest returns the model may use, and those set aside because a number in them
    /// is beyond its plausibility bound.
    async fn inputs(
        &self,
        cycle_year: i32,
    ) -> ndrs_core::Result<(Inputs, Vec<pb::SetAsideReturn>)> {
        let p = &self.plausibility;
        let (devices, mut set_aside) = stage::load_usable::<DeviceParameters>(
            &self.store,
            cycle_year,
            DEVICE_KIND,
            p,
            domain::device_quantities,
        )
        .await?;
        let (media, media_set_aside) = stage::load_usable::<StorageMediumFigures>(
            &self.store,
            cycle_year,
            MEDIUM_KIND,
            p,
            domain::medium_quantities,
        )
        .await?;
        set_aside.extend(media_set_aside);
        Ok(((devices, media), set_aside))
    }

    /// The cycle's central figures with intervals from the run over exactly the current inputs
    /// (made with the default seed when none exists), and growth against the previous cycle.
    async fn stage_figures(&self, cycle_year: i32) -> ndrs_core::Result<StageFigures> {
        let ((devices, media), set_aside) = self.inputs(cycle_year).await?;
        let mut figures = model::figures(&devices, &media);
        let mut notes = Vec::new();
        let inputs = runs::inputs_of(&devices, &media);
        if !inputs.is_empty() {
            let hash = ndrs_platform::stage::inputs_hash(inputs.iter().map(String::as_str));
            let run = match self.runs.cited(cycle_year, &hash).await? {
                Some(run) => Some(run),
                None => match self.runs.default_run(cycle_year, &devices, &media).await {
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
        let ((prev_devices, prev_media), _) = self.inputs(cycle_year - 1).await?;
        if !prev_devices.is_empty() {
            let previous = model::figures(&prev_devices, &prev_media);
            figures.extend(model::growth_figures(&figures, &previous));
        }
        Ok(StageFigures {
            figures,
            used: devices.len() + media.len(),
            notes,
            set_aside,
        })
    }

    pub fn into_server(self, max_message_bytes: usize) -> ProductionStorageServiceServer<Self> {
        ProductionStorageServiceServer::new(self).max_decoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl ProductionStorageService for ProductionStorage {
    async fn submit_device_parameters(
        &self,
        request: Request<pb::DeviceParameterReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        let (header, device) =
            domain::device_parameters_from_proto(request.into_inner()).into_status()?;
        self.taxonomies
            .check(header.cycle_year, &device.device_type, device.category)
            .await
            .into_status()?;
        let mut findings = domain::device_findings(&device);
        findings.extend(
            self.plausibility
                .findings(&domain::device_quantities(&device)),
        );
        let receipt = stage::submit_return(
            &self.store,
            &principal,
            DEVICE_KIND,
            header,
            &device,
            findings,
        )
        .await
        .into_status()?;
        Ok(Response::new(receipt))
    }

    async fn submit_storage_medium(
        &self,
        request: Request<pb::StorageMediumReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let receipt = stage::receive(
            &self.store,
            &self.identity,
            request,
            MEDIUM_KIND,
            domain::storage_medium_from_proto,
            |m| {
                let mut findings = domain::medium_findings(m);
                findings.extend(self.plausibility.findings(&domain::medium_quantities(m)));
                findings
            },
        )
        .await
        .into_status()?;
        Ok(Response::new(receipt))
    }

    async fn get_return(
        &self,
        request: Request<pb::GetReturnRequest>,
    ) -> Result<Response<pb::ReturnHistory>, Status> {
        self.reader.get_return_rpc(request).await
    }

    async fn list_returns(
        &self,
        request: Request<pb::ListReturnsRequest>,
    ) -> Result<Response<pb::ListReturnsResponse>, Status> {
        self.reader.list_returns_rpc(request).await
    }

    async fn get_stage_result(
        &self,
        request: Request<pb::GetStageResultRequest>,
    ) -> Result<Response<pb::StageResult>, Status> {
        let cycle_year = stage::stage_result_cycle(&self.identity, request).await?;
        let computed = self.stage_figures(cycle_year).await.into_status()?;
        Ok(Response::new(stage::with_set_aside(
            stage::stage_result_with_notes(
                pb::Stage::ProductionStorage,
                cycle_year,
                computed.figures,
                computed.used as u64,
                computed.notes,
            ),
            computed.set_aside,
        )))
    }

    async fn run_model(
        &self,
        request: Request<pb::RunModelRequest>,
    ) -> Result<Response<pb::ModelRun>, Status> {
        let principal = self
            .identity
            .authorise(request.metadata(), &[Role::Organiser], "run the model")
            .await
            .into_status()?;
        let pb::RunModelRequest {
            cycle_year,
            seed,
            draws,
        } = request.into_inner();
        let mut v = ndrs_core::Violations::new();
        stage::check_cycle_year("cycle_year", cycle_year, &mut v);
        v.check(
            draws <= runs::MAX_DRAWS,
            "draws",
            format!("at most {}", runs::MAX_DRAWS),
        );
        v.finish(()).into_status()?;
        let draws = if draws == 0 {
            runs::DEFAULT_DRAWS
        } else {
            draws
        };
        let ((devices, media), _) = self.inputs(cycle_year).await.into_status()?;
        let run = self
            .runs
            .run(cycle_year, &devices, &media, seed, draws, &principal.name)
            .await
            .into_status()?;
        Ok(Response::new(run.to_proto()))
    }

    async fn get_model_run(
        &self,
        request: Request<pb::GetModelRunRequest>,
    ) -> Result<Response<pb::ModelRun>, Status> {
        self.identity
            .authorise(
                request.metadata(),
                &[Role::Organiser, Role::Service, Role::Expert],
                "read model runs",
            )
            .await
            .into_status()?;
        let pb::GetModelRunRequest { run_id, cycle_year } = request.into_inner();
        let run = match (run_id.is_empty(), cycle_year) {
            (false, 0) => self.runs.get(&run_id).await,
            (true, year) if year != 0 => self.runs.latest(year).await.and_then(|r| {
                r.ok_or_else(|| Error::NotFound(format!("no model run for cycle {year}")))
            }),
            _ => Err(Error::invalid(
                "run_id",
                "give either a run id or a cycle year, not both or neither",
            )),
        }
        .into_status()?;
        Ok(Response::new(run.to_proto()))
    }

    async fn load_device_taxonomy(
        &self,
        request: Request<pb::LoadDeviceTaxonomyRequest>,
    ) -> Result<Response<pb::DeviceTaxonomySummary>, Status> {
        let principal = self
            .identity
            .authorise(
                request.metadata(),
                &[Role::Organiser],
                "load a device taxonomy",
            )
            .await
            .into_status()?;
        let (cycle_year, device_types) =
            taxonomy::taxonomy_from_proto(request.into_inner()).into_status()?;
        let loaded = self
            .taxonomies
            .load(cycle_year, device_types, &principal.name)
            .await
            .into_status()?;
        tracing::info!(
            cycle_year,
            version = loaded.version,
            device_types = loaded.body.len(),
            "device taxonomy loaded"
        );
        Ok(Response::new(taxonomy::summary_proto(&loaded)))
    }

    async fn get_device_taxonomy(
        &self,
        request: Request<pb::GetDeviceTaxonomyRequest>,
    ) -> Result<Response<pb::DeviceTaxonomy>, Status> {
        // Any authenticated caller: reporters need the taxonomy to name their device types.
        self.identity
            .principal(request.metadata())
            .await
            .into_status()?;
        let pb::GetDeviceTaxonomyRequest {
            cycle_year,
            version,
        } = request.into_inner();
        let loaded = self
            .taxonomies
            .get(cycle_year, version)
            .await
            .into_status()?;
        let taxonomy = match loaded {
            Some(t) => pb::DeviceTaxonomy {
                summary: Some(taxonomy::summary_proto(&t)),
                device_types: t.body.iter().map(taxonomy::entry_to_proto).collect(),
            },
            None if version == 0 => {
                let device_types = taxonomy::built_in();
                pb::DeviceTaxonomy {
                    summary: Some(pb::DeviceTaxonomySummary {
                        cycle_year,
                        version: 0,
                        device_types: device_types.len() as u32,
                        loaded_by: "built-in".into(),
                        ..Default::default()
                    }),
                    device_types: device_types.iter().map(taxonomy::entry_to_proto).collect(),
                }
            }
            None => {
                return Err(Error::NotFound(format!(
                    "device taxonomy version {version} for cycle {cycle_year}"
                )))
                .into_status();
            }
        };
        Ok(Response::new(taxonomy))
    }
}
