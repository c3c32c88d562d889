//! The variance ranking of the parameters that drive each output.
//!
//! For each output, the parameters are ranked by the squared Pearson correlation between the
//! parameter's draws and the output's draws, normalised to sum to 1 over the parameters
//! ([`Contribution::variance_share`]). With independent parameters (which is what the stated
//! uncertainties give us) and a model that is close to linear over the parameters' spread, the
//! squared correlation of parameter i is the fraction of the output's variance that a linear effect
//! of parameter i explains, so the shares read as "how much of the uncertainty comes from this
//! parameter". Limits: it sees only linear (first-order) effects; interactions and strong curvature
//! are attributed to no one. The sum of the unnormalised squared correlations,
//! [`super::OutputSummary::linear_r_squared`], says how much of the variance the linear view
//! explains: near 1 the ranking is trustworthy, well below 1 it is only indicative (a
//! variance-based method such as Sobol indices would then be needed). Parameters that do not
//! influence an output get shares of order 1/n from sampling noise. Correlations are accumulated
//! chunk by chunk with the pairwise update of Chan, Golub and LeVeque, so parameter draws never
//! need to be held for more than one chunk: memory is the output draws (`draws × outputs` values)
//! plus one chunk.

use serde::{Deserialize, Serialize};

use super::Distribution;

/// One parameter's part in an output's uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub parameter: String,
    /// Pearson correlation between the parameter's draws and the output's draws.
    pub correlation: f64,
    /// Squared correlation divided by the sum of squared correlations over all parameters.
    pub variance_share: f64,
}

/// Running means, sums of squared deviations and co-moments of parameters (p) and outputs (k),
/// merged chunk by chunk (Chan, Golub and LeVeque, 1979).
pub(super) struct CoMoments {
    n: usize,
    p: usize,
    mean_x: Vec<f64>,
    m2_x: Vec<f64>,
    mean_y: Vec<f64>,
    m2_y: Vec<f64>,
    /// `c[j * p + i]` = Σ (x_i − mean x_i)(y_j − mean y_j).
    c: Vec<f64>,
}

impl CoMoments {
    pub(super) fn new(p: usize, k: usize) -> Self {
        CoMoments {
            n: 0,
            p,
            mean_x: vec![0.0; p],
            m2_x: vec![0.0; p],
            mean_y: vec![0.0; k],
            m2_y: vec![0.0; k],
            c: vec![0.0; p * k],
        }
    }

    /// Folds in `m` draws: `xs` is draw-major (`xs[d * p + i]`), `ys[j][start..start + m]`.
    pub(super) fn add_chunk(&mut self, xs: &[f64], m: usize, ys: &[Vec<f64>], start: usize) {
        let (p, k) = (self.p, ys.len());
        let mf = m as f64;
        let mut cm_x = vec![0.0; p];
        for row in xs.chunks_exact(p.max(1)).take(m) {
            for (acc, x) in cm_x.iter_mut().zip(row) {
                *acc += x;
            }
        }
        cm_x.iter_mut().for_each(|v| *v /= mf);
        let cm_y: Vec<f64> = ys
            .iter()
            .map(|y| y[start..start + m].iter().sum::<f64>() / mf)
            .collect();
        let mut cm2_x = vec![0.0; p];
        let mut cm2_y = vec![0.0; k];
        let mut cc = vec![0.0; p * k];
        let mut dx = vec![0.0; p];
        for d in 0..m {
            let row = &xs[d * p..(d + 1) * p];
            for (((dxi, x), mean), m2) in dx.iter_mut().zip(row).zip(&cm_x).zip(&mut cm2_x) {
                *dxi = x - mean;
                *m2 += *dxi * *dxi;
            }
            for (j, y) in ys.iter().enumerate() {
                let dy = y[start + d] - cm_y[j];
                cm2_y[j] += dy * dy;
                for (acc, dxi) in cc[j * p..(j + 1) * p].iter_mut().zip(&dx) {
                    *acc += dxi * dy;
                }
            }
        }
        if self.n == 0 {
            (self.mean_x, self.m2_x, self.mean_y, self.m2_y, self.c) =
                (cm_x, cm2_x, cm_y, cm2_y, cc);
            self.n = m;
            return;
        }
        let (na, nb) = (self.n as f64, mf);
        let n = na + nb;
        let weight = na * nb / n;
        let delta_x: Vec<f64> = cm_x.iter().zip(&self.mean_x).map(|(b, a)| b - a).collect();
        let delta_y: Vec<f64> = cm_y.iter().zip(&self.mean_y).map(|(b, a)| b - a).collect();
        for j in 0..k {
            for i in 0..p {
                self.c[j * p + i] += cc[j * p + i] + delta_x[i] * delta_y[j] * weight;
            }
        }
        for i in 0..p {
            self.m2_x[i] += cm2_x[i] + delta_x[i] * delta_x[i] * weight;
            self.mean_x[i] += delta_x[i] * nb / n;
        }
        for j in 0..k {
            self.m2_y[j] += cm2_y[j] + delta_y[j] * delta_y[j] * weight;
            self.mean_y[j] += delta_y[j] * nb / n;
        }
        self.n += m;
    }

    pub(super) fn ranking(
        &self,
        j: usize,
        parameters: &[(String, Distribution)],
    ) -> (Option<f64>, Vec<Contribution>) {
        let m2_y = self.m2_y[j];
        if m2_y.is_nan() || m2_y <= 0.0 {
            return (None, Vec::new());
        }
        let row = &self.c[j * self.p..(j + 1) * self.p];
        let correlations: Vec<(usize, f64)> = parameters
            .iter()
            .enumerate()
            .filter(|(i, (_, d))| !d.is_constant() && self.m2_x[*i] > 0.0)
            .map(|(i, _)| {
                let r = row[i] / (self.m2_x[i] * m2_y).sqrt();
                (
                    i,
                    if r.is_finite() {
                        r.clamp(-1.0, 1.0)
                    } else {
                        0.0
                    },
                )
            })
            .collect();
        let total: f64 = correlations.iter().map(|(_, r)| r * r).sum();
        let mut ranking: Vec<(usize, Contribution)> = correlations
            .into_iter()
            .map(|(i, r)| {
                let share = if total > 0.0 { r * r / total } else { 0.0 };
                (
                    i,
                    Contribution {
                        parameter: parameters[i].0.clone(),
                        correlation: r,
                        variance_share: share,
                    },
                )
            })
            .collect();
        ranking.sort_by(|(ia, a), (ib, b)| {
            b.variance_share
                .total_cmp(&a.variance_share)
                .then(ia.cmp(ib))
        });
        (Some(total), ranking.into_iter().map(|(_, c)| c).collect())
    }
}
