//! Estimators and the estimation engine.
//!
//! Every estimator is a smooth function of a few weighted totals `T_k = Σ_i w_i v_ki d_ki`
//! (`v` a study variable or 1, `d` a domain indicator). That single representation gives the
//! point estimate, the linearised score (gradient · per-unit contributions) for Taylor variance,
//! and replicate estimates (recompute the totals with replicate weights). Totals that share a
//! variable and a domain partition (e.g. 30 categories of one column) are accumulated in one pass
//! over the units, so a table of many indicators by many domains costs one pass per replicate.
//!
//! The file is long (about 700 lines) on purpose: the public estimators, their compiled form and
//! the engine that accumulates every total in one pass share one private representation (the
//! totals, their slots and the per-unit contributions); split across modules, that
//! representation would have to become a crate-wide interface for no reader's benefit.
//!
//! Domains never drop rows: a unit outside the domain keeps its stratum, its PSU and its weight
//! and contributes zero to the domain's totals. Dropping rows would lose the PSUs (and strata)
//! where the domain happens to have no sampled unit, understating the variance.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::{Data, Domain, binary};
use crate::design::Design;
use crate::error::{Result, StatsError};
use crate::interval::{
    Interval, IntervalMethod, ProportionCi, korn_graubard_interval, logit_interval, t_interval,
};
use crate::variance::{
    ReplicateGenerator, ReplicatePlan, VarianceMethod, VarianceStratum, taylor_variance,
    variance_strata,
};
use crate::weighting::{CompiledSpec, WeightingReport, WeightingSpec};

/// What to estimate. Column names refer to numeric columns of [`Data`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Estimator {
    /// Population total of `y` in the domain.
    Total { y: String, domain: Domain },
    /// Mean of `y` in the domain.
    Mean { y: String, domain: Domain },
    /// Proportion with `y == 1` in the domain (`y` must be 0/1).
    Proportion { y: String, domain: Domain },
    /// Ratio of totals `Σ w y / Σ w x` in the domain.
    Ratio {
        y: String,
        x: String,
        domain: Domain,
    },
    /// Mean of `y` in `numerator` divided by mean of `y` in `denominator`, e.g. platform
    /// enterprises' mean interaction over key-industry enterprises' mean. The covariance between
    /// the two domain means (they share PSUs) is accounted for.
    DomainMeanRatio {
        y: String,
        numerator: Domain,
        denominator: Domain,
    },
}

/// Thresholds for the reliability flag.
///
/// Defaults follow common agency practice (e.g. NCHS presentation standards: suppress or flag
/// when fewer than 30 respondents or a relative standard error above 30%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// Minimum respondents in the domain.
    pub min_n: usize,
    /// Maximum coefficient of variation (SE / |estimate|).
    pub max_cv: f64,
}

impl Default for Reliability {
    fn default() -> Self {
        Self {
            min_n: 30,
            max_cv: 0.3,
        }
    }
}

/// Which degrees of freedom the intervals use; packages differ.
///
/// The t quantile of a design-based interval uses "PSUs minus strata" (Korn & Graubard 1999,
/// §5.2; Valliant, Dever & Kreuter 2018, §3.4), but what is counted differs:
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DegreesOfFreedom {
    /// Counted over the domain: in every stratum that carries variance, the PSUs holding at
    /// least one respondent of the domain, minus one (strata without such a PSU count nothing;
    /// take-all strata count only through their response phase). A small domain gets the few
    /// degrees of freedom its variance estimate actually rests on (Korn & Graubard 1999, §5.2).
    #[default]
    Domain,
    /// The whole design's PSUs minus its strata, for every domain: R `survey`'s `degf()` and
    /// svy's and samplics' convention. Wider agreement with those packages; optimistic for
    /// small domains.
    Design,
}

/// Presentation options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    pub proportion_ci: ProportionCi,
    pub reliability: Reliability,
    #[serde(default)]
    pub degrees_of_freedom: DegreesOfFreedom,
    /// Threads replicates are spread over; 0: the process's default ([`set_default_threads`]),
    /// else every core the machine offers. The result is the same to the last bit whatever the
    /// count.
    #[serde(default)]
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            level: 0.95,
            proportion_ci: ProportionCi::Logit,
            reliability: Reliability::default(),
            degrees_of_freedom: DegreesOfFreedom::Domain,
            threads: 0,
        }
    }
}

/// One estimate with its precision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub estimator: Estimator,
    pub point: f64,
    /// Standard error; `None` when the variance is undefined (e.g. a replicate where the
    /// domain has no weight left).
    pub se: Option<f64>,
    /// SE / |point|; `None` when the point is 0 or the SE is undefined.
    pub cv: Option<f64>,
    /// Design effect: design variance / variance under simple random sampling without
    /// replacement of the same number of respondents (Kish). `None` when undefined.
    pub deff: Option<f64>,
    /// Degrees of freedom, counted as [`Options::degrees_of_freedom`] says.
    pub df: usize,
    /// Confidence interval; `None` when the SE is undefined, or positive with `df == 0`. An SE
    /// of exactly 0 (a domain wholly in take-all strata that all responded) gives the point as
    /// its own interval, [`IntervalMethod::NoSamplingVariance`].
    pub ci: Option<Interval>,
    /// Respondents (units with positive final weight) in the domain(s).
    pub n: usize,
    /// Estimated population size of the domain(s): sum of final weights.
    pub population: f64,
    /// False when `n < min_n`, `cv > max_cv`, or the CV is undefined.
    pub reliable: bool,
}

/// Results of [`estimate_many`]: one result per requested estimator, in order, plus the
/// full-sample weighting report (the lineage of the weights).
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateSet {
    pub estimates: Vec<Result<Estimate>>,
    pub weighting: WeightingReport,
    /// Number of replicates used (0 for Taylor).
    pub replicates: usize,
    /// Take-all strata whose respondents carried a response-phase variance (some of their PSUs
    /// did not respond), by identifier.
    pub response_phase_strata: Vec<String>,
}

/// Estimates one quantity with default [`Options`].
pub fn estimate(
    design: &Design,
    spec: &WeightingSpec,
    data: &Data,
    estimator: &Estimator,
    variance: &VarianceMethod,
) -> Result<Estimate> {
    let set = estimate_many(
        design,
        spec,
        data,
        std::slice::from_ref(estimator),
        variance,
        &Options::default(),
    )?;
    set.estimates
        .into_iter()
        .next()
        .unwrap_or(Err(StatsError::EmptyDesign))
}

/// Estimates many quantities at once, sharing the weighting and every replicate.
///
/// Errors that concern the whole run (bad design, weighting failure, lonely PSU) are returned
/// as `Err`; errors of one estimator (unknown column, non-binary proportion, empty domain) are
/// returned in its slot so that one bad indicator does not hide the others.
pub fn estimate_many(
    design: &Design,
    spec: &WeightingSpec,
    data: &Data,
    estimators: &[Estimator],
    variance: &VarianceMethod,
    options: &Options,
) -> Result<EstimateSet> {
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(StatsError::InvalidSetting {
            field: "level",
            reason: format!("confidence level must be in (0, 1), got {}", options.level),
        });
    }
    design.check_lonely()?;
    let compiled_spec = CompiledSpec::new(spec, design, data)?;
    let weights = {
        let mut w = design.weights.clone();
        let mut scratch = Default::default();
        let report = compiled_spec.apply(&mut w, &mut scratch, true)?;
        (w, report)
    };
    let (w, report) = weights;
    let strata = variance_strata(design, &w);
    let plan = ReplicatePlan::new(design, &strata, *variance)?;

    let mut engine = Engine::new(design, &strata, data, &w);
    let compiled: Vec<Result<Compiled>> = estimators.iter().map(|e| engine.compile(e)).collect();

    let totals = engine.totals(&w);
    let mut points: Vec<Option<f64>> = Vec::with_capacity(compiled.len());
    for c in &compiled {
        points.push(match c {
            Ok(c) => Some(c.value(&totals)),
            Err(_) => None,
        });
    }

    // Variances.
    let mut variances: Vec<Option<f64>> = vec![None; compiled.len()];
    let n_replicates;
    match &plan {
        None => {
            n_replicates = 0;
            let psu_totals = engine.psu_totals(&w);
            let mut z = vec![0.0; design.n_psus()];
            for (k, c) in compiled.iter().enumerate() {
                if let (Ok(c), Some(theta)) = (c, points[k]) {
                    if !theta.is_finite() {
                        continue;
                    }
                    let grad = c.gradient(&totals);
                    z.fill(0.0);
                    for (t, g) in c.totals.iter().zip(&grad) {
                        let grp = &engine.groups[t.group];
                        for (j, zj) in z.iter_mut().enumerate() {
                            *zj += g * psu_totals[grp.psu_offset + j * grp.levels + t.level];
                        }
                    }
                    variances[k] = Some(taylor_variance(design, &strata, &z));
                }
            }
        }
        Some(plan) => {
            n_replicates = plan.len();
            let job = ReplicateJob {
                design,
                plan,
                spec: &compiled_spec,
                engine: &engine,
                compiled: &compiled,
                points: &points,
            };
            let (acc, defined) = job.run(options.threads)?;
            for k in 0..compiled.len() {
                if defined[k] {
                    variances[k] = Some(acc[k]);
                }
            }
        }
    }

    let mut out = Vec::with_capacity(compiled.len());
    for (k, c) in compiled.into_iter().enumerate() {
        let c = match c {
            Ok(c) => c,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        let point = points[k].unwrap_or(f64::NAN);
        if !point.is_finite() {
            out.push(Err(StatsError::Undefined {
                reason: format!(
                    "{:?}: a denominator total is zero (empty domain or zero x)",
                    c.estimator
                ),
            }));
            continue;
        }
        let stats = engine.support_stats(&c, &totals);
        let se = variances[k].map(|v| v.max(0.0).sqrt());
        let cv = se.and_then(|s| (point != 0.0).then(|| s / point.abs()));
        let deff = match (variances[k], stats.srs_variance) {
            (Some(v), Some(vs)) if vs > 0.0 => Some(v / vs),
            _ => None,
        };
        let df = match options.degrees_of_freedom {
            DegreesOfFreedom::Domain => stats.df,
            DegreesOfFreedom::Design => design.n_psus() - design.n_strata(),
        };
        let ci = se
            .filter(|&s| df > 0 || s == 0.0)
            .and_then(|s| match c.estimator {
                _ if s == 0.0 => Some(Interval {
                    lower: point,
                    upper: point,
                    level: options.level,
                    method: IntervalMethod::NoSamplingVariance,
                }),
                Estimator::Proportion { .. } => match options.proportion_ci {
                    ProportionCi::Logit => logit_interval(point, s, df as f64, options.level),
                    ProportionCi::KornGraubard => {
                        korn_graubard_interval(point, s, stats.n, df as f64, options.level)
                    }
                },
                _ => t_interval(point, s, df as f64, options.level),
            });
        let reliable = stats.n >= options.reliability.min_n
            && cv.is_some_and(|v| v <= options.reliability.max_cv);
        out.push(Ok(Estimate {
            estimator: c.estimator,
            point,
            se,
            cv,
            deff,
            df,
            ci,
            n: stats.n,
            population: stats.population,
            reliable,
        }));
    }
    Ok(EstimateSet {
        estimates: out,
        weighting: report,
        replicates: n_replicates,
        response_phase_strata: strata
            .iter()
            .filter(|s| s.response_phase)
            .map(|s| design.strata[s.stratum].id.clone())
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Replicates on every core.

/// Threads replicates use when [`Options::threads`] is 0; 0 here too: every core.
static DEFAULT_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets, for the whole process, how many threads replicates are spread over when
/// [`Options::threads`] is 0 (0: every core the machine offers). A service sets it once from its
/// configuration, as one sizes a thread pool; results do not depend on it.
pub fn set_default_threads(threads: usize) {
    DEFAULT_THREADS.store(threads, std::sync::atomic::Ordering::Relaxed);
}

/// Replicates handed out in blocks of this many: each block's sum is taken in replicate order
/// and the blocks' sums in block order, so the variance does not depend on how many threads
/// ran or which took which block.
const REPLICATE_BLOCK: usize = 16;

/// The replicate variance of every compiled estimator: `Σ_r c_r (θ_r - θ)²`.
struct ReplicateJob<'a> {
    design: &'a Design,
    plan: &'a ReplicatePlan,
    spec: &'a CompiledSpec<'a>,
    engine: &'a Engine<'a>,
    compiled: &'a [Result<Compiled>],
    points: &'a [Option<f64>],
}

/// One block's partial sums, and which estimators stayed defined in it.
type BlockSums = (Vec<f64>, Vec<bool>);

impl ReplicateJob<'_> {
    fn run(&self, threads: usize) -> Result<BlockSums> {
        let blocks = self.plan.len().div_ceil(REPLICATE_BLOCK);
        let threads = match (
            threads,
            DEFAULT_THREADS.load(std::sync::atomic::Ordering::Relaxed),
        ) {
            (0, 0) => std::thread::available_parallelism().map_or(1, |n| n.get()),
            (0, n) | (n, _) => n,
        }
        .clamp(1, blocks.max(1));
        let results: Vec<Result<BlockSums>> = if threads == 1 {
            (0..blocks).map(|b| self.block(b)).collect()
        } else {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let mut done: Vec<(usize, Result<BlockSums>)> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut mine = Vec::new();
                            loop {
                                let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                if b >= blocks {
                                    return mine;
                                }
                                mine.push((b, self.block(b)));
                            }
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
            done.sort_by_key(|(b, _)| *b);
            done.into_iter().map(|(_, r)| r).collect()
        };
        let k = self.compiled.len();
        let (mut acc, mut defined) = (vec![0.0; k], vec![true; k]);
        for block in results {
            let (sums, ok) = block?;
            for i in 0..k {
                acc[i] += sums[i];
                defined[i] &= ok[i];
            }
        }
        Ok((acc, defined))
    }

    /// Replicates `b * REPLICATE_BLOCK ..` of block `b`, with buffers of its own.
    fn block(&self, b: usize) -> Result<BlockSums> {
        let k = self.compiled.len();
        let (mut acc, mut defined) = (vec![0.0; k], vec![true; k]);
        let mut generator = ReplicateGenerator::new(self.design);
        let mut rep_totals = vec![0.0; self.engine.n_totals];
        let end = ((b + 1) * REPLICATE_BLOCK).min(self.plan.len());
        for r in b * REPLICATE_BLOCK..end {
            let wr = generator.weights(self.design, self.plan, self.spec, r)?;
            self.engine.totals_into(wr, &mut rep_totals);
            let c_r = self.plan.coef(r);
            for (i, c) in self.compiled.iter().enumerate() {
                if let (Ok(c), Some(theta)) = (c, self.points[i]) {
                    let tr = c.value(&rep_totals);
                    if tr.is_finite() {
                        acc[i] += c_r * (tr - theta) * (tr - theta);
                    } else {
                        defined[i] = false;
                    }
                }
            }
        }
        Ok((acc, defined))
    }
}

// ---------------------------------------------------------------------------------------------
// Engine internals.

/// A value variable (`None` = the constant 1) over a domain partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum PartitionKey {
    All,
    Indicator(String),
    Category(String),
}

struct Group {
    /// Per-unit value, 0 where the final weight is 0 (so missing answers of non-respondents never
    /// turn a total into NaN).
    values: Vec<f64>,
    /// Per-unit level; `None` for the one-level partition `All`.
    codes: Option<std::sync::Arc<Vec<u32>>>,
    levels: usize,
    /// Offset of this group's totals in the flat totals vector.
    offset: usize,
    /// Offset of this group's PSU x level matrix in the flat PSU-totals vector.
    psu_offset: usize,
}

#[derive(Debug, Clone, Copy)]
struct TotalRef {
    group: usize,
    level: usize,
    /// Index in the flat totals vector (group offset + level).
    flat: usize,
}

struct Compiled {
    estimator: Estimator,
    totals: Vec<TotalRef>,
}

impl Compiled {
    /// The totals this estimator uses, read from a flat totals vector.
    fn read(&self, all: &[f64]) -> [f64; 4] {
        let mut t = [0.0; 4];
        for (k, r) in self.totals.iter().enumerate() {
            t[k] = all[r.flat];
        }
        t
    }

    fn value(&self, all: &[f64]) -> f64 {
        let t = self.read(all);
        match self.estimator {
            Estimator::Total { .. } => t[0],
            Estimator::Mean { .. } | Estimator::Proportion { .. } | Estimator::Ratio { .. } => {
                t[0] / t[1]
            }
            Estimator::DomainMeanRatio { .. } => (t[0] / t[1]) / (t[2] / t[3]),
        }
    }

    /// ∂θ/∂T_k at the full-sample totals.
    fn gradient(&self, all: &[f64]) -> [f64; 4] {
        let t = self.read(all);
        match self.estimator {
            Estimator::Total { .. } => [1.0, 0.0, 0.0, 0.0],
            Estimator::Mean { .. } | Estimator::Proportion { .. } | Estimator::Ratio { .. } => {
                let r = t[0] / t[1];
                [1.0 / t[1], -r / t[1], 0.0, 0.0]
            }
            Estimator::DomainMeanRatio { .. } => {
                let (ma, mb) = (t[0] / t[1], t[2] / t[3]);
                let theta = ma / mb;
                [theta / t[0], -theta / t[1], -theta / t[2], theta / t[3]]
            }
        }
    }
}

struct SupportStats {
    n: usize,
    population: f64,
    df: usize,
    srs_variance: Option<f64>,
}

struct Engine<'a> {
    design: &'a Design,
    /// The strata that carry variance (degrees of freedom are counted over them).
    strata: &'a [VarianceStratum],
    data: &'a Data,
    /// Full-sample final weights.
    w: &'a [f64],
    groups: Vec<Group>,
    group_index: BTreeMap<(Option<String>, PartitionKey), usize>,
    partitions: BTreeMap<PartitionKey, (std::sync::Arc<Vec<u32>>, usize)>,
    n_totals: usize,
    n_psu_totals: usize,
    /// Numeric columns already checked to be 0/1 wherever the weight is positive.
    binary_checked: BTreeSet<String>,
    /// Rows of each (partition codes, level) domain, in row order, built on first use by
    /// [`Engine::support_stats`] (keyed by the address of the shared codes vector).
    domain_rows: BTreeMap<(usize, usize), Arc<Vec<u32>>>,
}

impl<'a> Engine<'a> {
    fn new(
        design: &'a Design,
        strata: &'a [VarianceStratum],
        data: &'a Data,
        w: &'a [f64],
    ) -> Self {
        Self {
            design,
            strata,
            data,
            w,
            groups: Vec::new(),
            group_index: BTreeMap::new(),
            partitions: BTreeMap::new(),
            n_totals: 0,
            n_psu_totals: 0,
            binary_checked: BTreeSet::new(),
            domain_rows: BTreeMap::new(),
        }
    }

    /// Resolves a domain to (partition, level), validating an indicator column.
    fn domain(&mut self, d: &Domain) -> Result<(PartitionKey, usize)> {
        match d {
            Domain::All => Ok((PartitionKey::All, 0)),
            Domain::Indicator(col) => {
                let key = PartitionKey::Indicator(col.clone());
                if !self.partitions.contains_key(&key) {
                    let values = self.data.numeric(col)?;
                    let mut codes = Vec::with_capacity(values.len());
                    for (row, (&v, &w)) in values.iter().zip(self.w).enumerate() {
                        codes.push(if w > 0.0 {
                            u32::from(binary(col, row, v)?)
                        } else {
                            0
                        });
                    }
                    self.partitions
                        .insert(key.clone(), (std::sync::Arc::new(codes), 2));
                }
                Ok((key, 1))
            }
            Domain::Category { column, value } => {
                let cat = self.data.categorical(column)?;
                let level = cat.level(value).ok_or_else(|| StatsError::Undefined {
                    reason: format!("domain {column:?} = {value:?} has no unit in the sample"),
                })?;
                let key = PartitionKey::Category(column.clone());
                if !self.partitions.contains_key(&key) {
                    self.partitions.insert(
                        key.clone(),
                        (std::sync::Arc::new(cat.codes.clone()), cat.levels.len()),
                    );
                }
                Ok((key, level as usize))
            }
        }
    }

    /// Finds or creates the group for (variable, partition); validates the variable.
    fn group(&mut self, y: Option<&str>, key: &PartitionKey, binary_y: bool) -> Result<usize> {
        let gk = (y.map(str::to_string), key.clone());
        if let Some(&g) = self.group_index.get(&gk) {
            if binary_y
                && let Some(col) = y
                && !self.binary_checked.contains(col)
            {
                self.check_binary(col)?;
                self.binary_checked.insert(col.to_string());
            }
            return Ok(g);
        }
        let values = match y {
            None => self
                .w
                .iter()
                .map(|&w| f64::from(u8::from(w > 0.0)))
                .collect(),
            Some(col) => {
                let raw = self.data.numeric(col)?;
                let mut v = Vec::with_capacity(raw.len());
                for (row, (&x, &w)) in raw.iter().zip(self.w).enumerate() {
                    if w > 0.0 {
                        if !x.is_finite() {
                            return Err(StatsError::NonFiniteValue {
                                column: col.to_string(),
                                row,
                                value: x,
                            });
                        }
                        if binary_y {
                            binary(col, row, x)?;
                        }
                        v.push(x);
                    } else {
                        v.push(0.0);
                    }
                }
                if binary_y {
                    self.binary_checked.insert(col.to_string());
                }
                v
            }
        };
        let (codes, levels) = match key {
            PartitionKey::All => (None, 1),
            k => {
                let (c, l) = &self.partitions[k];
                (Some(c.clone()), *l)
            }
        };
        let g = self.groups.len();
        self.groups.push(Group {
            values,
            codes,
            levels,
            offset: self.n_totals,
            psu_offset: self.n_psu_totals,
        });
        self.n_totals += levels;
        self.n_psu_totals += levels * self.design.n_psus();
        self.group_index.insert(gk, g);
        Ok(g)
    }

    fn check_binary(&self, col: &str) -> Result<()> {
        let raw = self.data.numeric(col)?;
        for (row, (&x, &w)) in raw.iter().zip(self.w).enumerate() {
            if w > 0.0 {
                binary(col, row, x)?;
            }
        }
        Ok(())
    }

    fn total(&mut self, y: Option<&str>, d: &Domain, binary_y: bool) -> Result<TotalRef> {
        let (key, level) = self.domain(d)?;
        let group = self.group(y, &key, binary_y)?;
        Ok(TotalRef {
            group,
            level,
            flat: self.groups[group].offset + level,
        })
    }

    fn compile(&mut self, e: &Estimator) -> Result<Compiled> {
        let totals = match e {
            Estimator::Total { y, domain } => vec![self.total(Some(y), domain, false)?],
            Estimator::Mean { y, domain } => vec![
                self.total(Some(y), domain, false)?,
                self.total(None, domain, false)?,
            ],
            Estimator::Proportion { y, domain } => vec![
                self.total(Some(y), domain, true)?,
                self.total(None, domain, false)?,
            ],
            Estimator::Ratio { y, x, domain } => vec![
                self.total(Some(y), domain, false)?,
                self.total(Some(x), domain, false)?,
            ],
            Estimator::DomainMeanRatio {
                y,
                numerator,
                denominator,
            } => vec![
                self.total(Some(y), numerator, false)?,
                self.total(None, numerator, false)?,
                self.total(Some(y), denominator, false)?,
                self.total(None, denominator, false)?,
            ],
        };
        Ok(Compiled {
            estimator: e.clone(),
            totals,
        })
    }

    fn totals(&self, w: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_totals];
        self.totals_into(w, &mut out);
        out
    }

    /// Σ_i w_i v_i per (group, level), into a flat vector.
    fn totals_into(&self, w: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for g in &self.groups {
            let o = &mut out[g.offset..g.offset + g.levels];
            match &g.codes {
                None => {
                    o[0] = w.iter().zip(&g.values).map(|(a, b)| a * b).sum();
                }
                Some(codes) => {
                    for ((wi, vi), &c) in w.iter().zip(&g.values).zip(codes.iter()) {
                        o[c as usize] += wi * vi;
                    }
                }
            }
        }
    }

    /// Σ_i w_i v_i per (group, PSU, level).
    fn psu_totals(&self, w: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_psu_totals];
        let psu = &self.design.unit_psu;
        for g in &self.groups {
            for i in 0..w.len() {
                let l = g.codes.as_ref().map_or(0, |c| c[i] as usize);
                out[g.psu_offset + psu[i] as usize * g.levels + l] += w[i] * g.values[i];
            }
        }
        out
    }

    /// The rows of the estimator's domain when all its totals share one partition level (every
    /// estimator but those over the whole population or over two domains), else `None`.
    fn domain_rows(&mut self, c: &Compiled) -> Option<Arc<Vec<u32>>> {
        let first = c.totals.first()?;
        let codes = self.groups[first.group].codes.clone()?;
        let same = c.totals.iter().all(|t| {
            t.level == first.level
                && self.groups[t.group]
                    .codes
                    .as_ref()
                    .is_some_and(|other| Arc::ptr_eq(other, &codes))
        });
        if !same {
            return None;
        }
        let key = (Arc::as_ptr(&codes) as usize, first.level);
        let rows = self.domain_rows.entry(key).or_insert_with(|| {
            Arc::new(
                codes
                    .iter()
                    .enumerate()
                    .filter(|&(_, &code)| code as usize == first.level)
                    .map(|(i, _)| i as u32)
                    .collect(),
            )
        });
        Some(rows.clone())
    }

    /// Respondent count, population, degrees of freedom and SRS variance of the estimator.
    fn support_stats(&mut self, c: &Compiled, totals: &[f64]) -> SupportStats {
        // Candidate rows: the domain's rows when known (the same rows, in the same order, as
        // the full scan below keeps, so the sums are bit for bit the same), else every row.
        let rows = self.domain_rows(c);
        let all: Vec<u32>;
        let candidates: &[u32] = match &rows {
            Some(r) => r,
            None => {
                all = (0..self.w.len() as u32).collect();
                &all
            }
        };
        let grad = c.gradient(totals);
        // the distinct domains (group partition + level) the estimator covers
        let member = |i: usize| -> bool {
            c.totals.iter().any(|t| {
                let g = &self.groups[t.group];
                g.codes
                    .as_ref()
                    .is_none_or(|codes| codes[i] as usize == t.level)
            })
        };
        let mut present = vec![false; self.design.n_psus()];
        let (mut n, mut sw, mut swu) = (0usize, 0.0, 0.0);
        // First pass: n, population, weighted mean of u.
        let unit_u = |i: usize| -> f64 {
            let mut s = 0.0;
            for (t, g) in c.totals.iter().zip(&grad) {
                let grp = &self.groups[t.group];
                let inside = grp
                    .codes
                    .as_ref()
                    .is_none_or(|codes| codes[i] as usize == t.level);
                if inside {
                    s += g * grp.values[i];
                }
            }
            s
        };
        for i in candidates.iter().map(|&i| i as usize) {
            if self.w[i] > 0.0 && member(i) {
                n += 1;
                sw += self.w[i];
                swu += self.w[i] * unit_u(i);
                present[self.design.unit_psu[i] as usize] = true;
            }
        }
        let mut srs_variance = None;
        if n >= 2 && sw > n as f64 {
            let mean = swu / sw;
            let mut ss = 0.0;
            for i in candidates.iter().map(|&i| i as usize) {
                if self.w[i] > 0.0 && member(i) {
                    let d = unit_u(i) - mean;
                    ss += self.w[i] * d * d;
                }
            }
            let nf = n as f64;
            let s2 = nf / (nf - 1.0) * ss / sw;
            srs_variance = Some((1.0 - nf / sw) * sw * sw * s2 / nf);
        }
        let mut df = 0usize;
        for s in self.strata {
            let k = s.psus.iter().filter(|&&j| present[j]).count();
            if k > 0 {
                df += k - 1;
            }
        }
        SupportStats {
            n,
            population: sw,
            df,
            srs_variance,
        }
    }
}

#[cfg(test)]
mod tests;
