//! Calibration helpers: pick which units carry an attribute so that a weighted share lands on its
//! target, split an integer total over lines, and make several sources' mean hit a value.

use super::rng::Rng;

/// Chooses units among `weights` (final survey weights of the eligible units) so that the chosen
/// weight sums to `goal` within `tolerance` (both absolute, in weight units).
///
/// Units are taken in a random order in which a unit with a higher `propensity` tends to come
/// first (exponential race), so who carries the attribute stays realistic (e.g. large firms more
/// often); a greedy pass fills up to the goal, then exchanges of a few units between weight
/// classes close the remaining gap, which is below the smallest weight after the greedy pass.
pub fn choose(
    weights: &[f64],
    propensity: &[f64],
    goal: f64,
    tolerance: f64,
    rng: &mut Rng,
) -> Vec<bool> {
    let n = weights.len();
    let mut keyed: Vec<(f64, usize)> = (0..n)
        .map(|i| {
            let u = 1.0 - rng.uniform();
            (-u.ln() / propensity[i].max(1e-9), i)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut chosen = vec![false; n];
    let mut sum = 0.0;
    for &(_, i) in &keyed {
        if sum + weights[i] <= goal + tolerance * 0.5 {
            chosen[i] = true;
            sum += weights[i];
        }
    }
    // Close the gap: the best change of up to six units in each of up to two weight classes at a
    // time, until within a quarter of the tolerance or nothing improves.
    let mut classes: Vec<(f64, Vec<usize>)> = Vec::new();
    for (i, &wi) in weights.iter().enumerate() {
        match classes
            .iter_mut()
            .find(|(w, _)| (*w - wi).abs() <= 1e-12 * w.abs().max(1.0))
        {
            Some((_, members)) => members.push(i),
            None => classes.push((wi, vec![i])),
        }
    }
    for _ in 0..500 {
        let gap = goal - sum;
        if gap.abs() <= tolerance * 0.25 {
            break;
        }
        let counts: Vec<(i64, i64)> = classes
            .iter()
            .map(|(_, m)| {
                let c = m.iter().filter(|&&i| chosen[i]).count() as i64;
                (c, m.len() as i64 - c)
            })
            .collect();
        let feasible = |k: usize, d: i64| {
            if d >= 0 {
                d <= counts[k].1
            } else {
                -d <= counts[k].0
            }
        };
        let mut best: Option<(f64, usize, i64, usize, i64)> = None;
        for a in 0..classes.len() {
            for b in a..classes.len() {
                for da in -6i64..=6 {
                    for db in -6i64..=6 {
                        if (a == b && db != 0) || (da == 0 && db == 0) {
                            continue;
                        }
                        if !feasible(a, da) || !feasible(b, db) {
                            continue;
                        }
                        let delta = da as f64 * classes[a].0 + db as f64 * classes[b].0;
                        let err = (gap - delta).abs();
                        if err < gap.abs() && best.is_none_or(|x| err < x.0) {
                            best = Some((err, a, da, b, db));
                        }
                    }
                }
            }
        }
        // Few weight classes (a take-all stratum and two sampled ones) leave gaps that moves in
        // two classes cannot close: then try three.
        let mut moves = best.map(|(err, a, da, b, db)| (err, vec![(a, da), (b, db)]));
        if classes.len() <= 10 && moves.as_ref().is_none_or(|m| m.0 > tolerance * 0.25) {
            for a in 0..classes.len() {
                for b in a + 1..classes.len() {
                    for c in b + 1..classes.len() {
                        for da in -6i64..=6 {
                            for db in -6i64..=6 {
                                for dc in -6i64..=6 {
                                    if !feasible(a, da) || !feasible(b, db) || !feasible(c, dc) {
                                        continue;
                                    }
                                    let delta = da as f64 * classes[a].0
                                        + db as f64 * classes[b].0
                                        + dc as f64 * classes[c].0;
                                    let err = (gap - delta).abs();
                                    if err < gap.abs() && moves.as_ref().is_none_or(|m| err < m.0) {
                                        moves = Some((err, vec![(a, da), (b, db), (c, dc)]));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let Some((_, moves)) = moves else { break };
        for (k, d) in moves {
            let want = d > 0;
            let mut left = d.abs();
            for &i in &classes[k].1 {
                if left == 0 {
                    break;
                }
                if chosen[i] != want {
                    chosen[i] = want;
                    sum += if want { weights[i] } else { -weights[i] };
                    left -= 1;
                }
            }
        }
    }
    chosen
}

/// Splits `total` over lines in proportion to `shares`, each line at most its cap (largest
/// remainders get the leftover units). Panics if the caps cannot hold the total.
pub fn distribute(total: u64, shares: &[f64], caps: &[u64]) -> Vec<u64> {
    let cap_sum: u128 = caps.iter().map(|&c| u128::from(c)).sum();
    assert!(
        u128::from(total) <= cap_sum,
        "cannot place {total} within caps {cap_sum}"
    );
    let mut out = vec![0u64; shares.len()];
    let mut left = total;
    // Repeat proportional passes among lines with room (a capped line drops out).
    while left > 0 {
        let open: Vec<usize> = (0..shares.len()).filter(|&i| out[i] < caps[i]).collect();
        let s: f64 = open.iter().map(|&i| shares[i].max(1e-12)).sum();
        let mut placed = 0;
        let mut remainders: Vec<(f64, usize)> = Vec::new();
        for &i in &open {
            let exact = left as f64 * shares[i].max(1e-12) / s;
            let add = (exact.floor() as u64).min(caps[i] - out[i]);
            out[i] += add;
            placed += add;
            remainders.push((exact - exact.floor(), i));
        }
        left -= placed;
        if placed == 0 {
            remainders.sort_by(|a, b| b.0.total_cmp(&a.0));
            for &(_, i) in &remainders {
                if left == 0 {
                    break;
                }
                if out[i] < caps[i] {
                    out[i] += 1;
                    left -= 1;
                }
            }
        }
    }
    out
}

/// Values of `n` sources for a parameter whose consolidated (mean) value must be `value`: every
/// source but the last is off by up to `spread` (relative), the last makes the mean exact.
pub fn sources(value: f64, n: usize, spread: f64, rng: &mut Rng) -> Vec<f64> {
    let mut out: Vec<f64> = (0..n - 1)
        .map(|_| value * (1.0 + rng.range(-spread, spread)))
        .collect();
    let last = value * n as f64 - out.iter().sum::<f64>();
    out.push(last);
    out
}

/// Scales `num` (clipped to `cap` per unit) so that sum(w num) / sum(w den) = target; a few
/// rounds because clipping moves the ratio.
pub fn scale_numerator(num: &mut [f64], den: &[f64], cap: &[f64], w: &[f64], target: f64) {
    for _ in 0..50 {
        let n: f64 = num.iter().zip(w).map(|(x, w)| x * w).sum();
        let d: f64 = den.iter().zip(w).map(|(x, w)| x * w).sum();
        if n <= 0.0 || d <= 0.0 {
            return;
        }
        let k = target * d / n;
        if (k - 1.0).abs() < 1e-13 {
            return;
        }
        for i in 0..num.len() {
            num[i] = (num[i] * k).min(cap[i]);
        }
    }
}

/// Scales `den` (kept at least `floor` per unit) so that sum(w num) / sum(w den) = target.
pub fn scale_denominator(num: &[f64], den: &mut [f64], floor: &[f64], w: &[f64], target: f64) {
    for _ in 0..50 {
        let n: f64 = num.iter().zip(w).map(|(x, w)| x * w).sum();
        let d: f64 = den.iter().zip(w).map(|(x, w)| x * w).sum();
        if n <= 0.0 || d <= 0.0 {
            return;
        }
        let k = n / (target * d);
        if (k - 1.0).abs() < 1e-13 {
            return;
        }
        for i in 0..den.len() {
            den[i] = (den[i] * k).max(floor[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_hits_a_weighted_share() {
        let mut rng = Rng::new(3, "t");
        let weights: Vec<f64> = (0..300)
            .map(|i| [1.0, 2.985, 7.4][i % 3] * 1.0137)
            .collect();
        let total: f64 = weights.iter().sum();
        let chosen = choose(
            &weights,
            &vec![1.0; 300],
            0.186 * total,
            0.0001 * total,
            &mut rng,
        );
        let got: f64 = weights
            .iter()
            .zip(&chosen)
            .filter(|(_, c)| **c)
            .map(|(w, _)| w)
            .sum();
        assert!((got / total - 0.186).abs() < 0.0001, "{}", got / total);
    }

    #[test]
    fn distribute_respects_total_and_caps() {
        let d = distribute(100, &[1.0, 1.0, 5.0], &[10, 50, 45]);
        assert_eq!(d.iter().sum::<u64>(), 100);
        assert!(d[2] <= 45 && d[0] <= 10);
    }
}
