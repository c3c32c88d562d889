//! Complementary suppression: disclosure control across the cells of one breakdown, after
//! [`DisclosureRule`](crate::disclosure::DisclosureRule) has withheld the cells that are unsafe on
//! their own.

use std::collections::BTreeMap;

use super::document::Figure;

/// Reason given for a cell withheld only to protect another.
pub const COMPLEMENTARY: &str =
    "complementary suppression: protects another cell of this breakdown";

/// When exactly one cell of a breakdown (same figure id and dimension names) is suppressed, it
/// could be recovered from the published total (or from shares summing to one) minus the other
/// cells; the smallest other cell is withheld too, so that at least two unknowns remain.
pub(super) fn complementary_suppression(figures: &mut [Figure]) {
    let mut groups: BTreeMap<(String, Vec<String>), Vec<usize>> = BTreeMap::new();
    for (i, f) in figures.iter().enumerate() {
        if !f.dimensions.is_empty() {
            let names = f.dimensions.keys().cloned().collect();
            groups.entry((f.id.clone(), names)).or_default().push(i);
        }
    }
    for cells in groups.values() {
        let suppressed = cells
            .iter()
            .filter(|&&i| figures[i].value.is_none())
            .count();
        if suppressed != 1 {
            continue;
        }
        let partner = cells
            .iter()
            .copied()
            .filter(|&i| figures[i].value.is_some())
            .min_by(|&a, &b| {
                let (x, y) = (
                    figures[a].value.unwrap_or(0.0),
                    figures[b].value.unwrap_or(0.0),
                );
                x.total_cmp(&y)
                    .then_with(|| figures[a].key.cmp(&figures[b].key))
            });
        if let Some(i) = partner {
            let f = &mut figures[i];
            f.value = None;
            f.interval = None;
            f.status = "suppressed".into();
            f.suppression = Some(COMPLEMENTARY.into());
            if let Some(l) = f.lineage.as_mut() {
                l.returns.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::DisclosureRule;
    use crate::release::release_figures;
    use ndrs_proto::v1 as pb;

    #[test]
    fn a_lone_suppressed_cell_gets_a_complementary_partner() {
        let cell = |province: &str, value: f64, reporters: u32| {
            let mut f = pb::Figure {
                id: "compute.capacity_share".into(),
                kind: pb::FigureKind::Auxiliary as i32,
                value,
                lineage: Some(pb::Lineage {
                    reporters,
                    largest_share: 0.5,
                    returns: vec![format!("r-{province}@1")],
                    ..Default::default()
                }),
                ..Default::default()
            };
            f.dimensions.insert("province".into(), province.into());
            f
        };
        let candidate = pb::Candidate {
            stages: vec![pb::StageResult {
                figures: vec![
                    cell("11", 0.5, 9),
                    cell("31", 0.2, 5),
                    cell("44", 0.25, 6),
                    cell("52", 0.05, 1),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let rule = DisclosureRule {
            min_reporters: 3,
            max_share: 0.85,
        };
        let figures = release_figures(&candidate, &rule);
        let by_key: BTreeMap<&str, &Figure> = figures.iter().map(|f| (f.key.as_str(), f)).collect();
        let guizhou = by_key["compute.capacity_share{province=52}"];
        assert!(
            guizhou
                .suppression
                .as_deref()
                .unwrap()
                .contains("fewer than 3")
        );
        // The smallest other cell protects it; the rest stay published.
        let shanghai = by_key["compute.capacity_share{province=31}"];
        assert_eq!(shanghai.suppression.as_deref(), Some(COMPLEMENTARY));
        assert_eq!(shanghai.value, None);
        assert!(shanghai.lineage.as_ref().unwrap().returns.is_empty());
        assert_eq!(
            by_key["compute.capacity_share{province=11}"].value,
            Some(0.5)
        );
        assert_eq!(
            by_key["compute.capacity_share{province=44}"].value,
            Some(0.25)
        );
    }
}
