//! Tests of the full-volume model: its central values are the published figures bit for bit,
//! sources are consolidated draw by draw, P15 follows its definition, and the ranking finds the
//! widest parameter.

use super::*;

#[test]
fn full_volume_central_values_equal_the_central_model() {
    let (d, m) = (devices(), media());
    let model = FullVolumeModel::new(&d, &m).unwrap();
    assert_eq!(
        model.outputs(),
        outs(&[
            "P01",
            "production.bytes/daily_life",
            "production.bytes/iot_sensing",
            "P03",
            "P04",
            "P05",
            "P06",
            "P07"
        ])
        .as_slice()
    );
    let names: Vec<&str> = model.parameters().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 5 * 6 + 3 * 4);
    assert!(names.contains(&"smartphone/vendor-a/installed_base"));
    assert!(names.contains(&"smartphone/vendor-a#2/installed_base"));
    assert!(names.contains(&"hdd/enterprise/assoc-y/overwritten_bytes"));

    let sd_: Vec<_> = d
        .iter()
        .enumerate()
        .map(|(i, x)| (stored(i as i64), x.clone()))
        .collect();
    let sm: Vec<_> = m
        .iter()
        .enumerate()
        .map(|(i, x)| (stored(100 + i as i64), x.clone()))
        .collect();
    let figures = crate::model::figures(&sd_, &sm);
    let expected = |id: &str, category: Option<&str>| {
        figures
            .iter()
            .find(|f| f.id == id && f.dimensions.get("category").map(String::as_str) == category)
            .unwrap_or_else(|| panic!("{id} {category:?}"))
            .value
    };
    let result = model.simulate(2000, 1).unwrap();
    for (name, id, category) in [
        ("P01", "P01", None),
        (
            "production.bytes/daily_life",
            "production.bytes",
            Some("daily_life"),
        ),
        (
            "production.bytes/iot_sensing",
            "production.bytes",
            Some("iot_sensing"),
        ),
        ("P03", "P03", None),
        ("P04", "P04", None),
        ("P05", "P05", None),
        ("P06", "P06", None),
        ("P07", "P07", None),
    ] {
        let o = result.output(name).unwrap();
        assert_eq!(
            o.central.to_bits(),
            expected(id, category).to_bits(),
            "{name}"
        );
        assert!(o.p5 <= o.p50 && o.p50 <= o.p95, "{name}");
        assert!(o.standard_deviation > 0.0, "{name}");
    }
}

#[test]
fn full_volume_consolidates_sources_by_the_mean_of_their_draws() {
    let two = vec![
        device(
            SourceCategory::Transport,
            "train",
            "s1",
            exact(10.0),
            exact(0.5),
            1.0,
        ),
        device(
            SourceCategory::Transport,
            "train",
            "s2",
            exact(30.0),
            exact(0.5),
            1.0,
        ),
    ];
    let store = vec![medium(Medium::Tape, "government", "t", 100.0, 40.0)];
    let model = FullVolumeModel::new(&two, &store).unwrap();
    // Set the draws by hand: each source is its own random variable, the device type
    // sees their mean.
    let mut values: Vec<f64> = model
        .parameters()
        .iter()
        .map(|(_, d)| d.central())
        .collect();
    let index = |name: &str| {
        model
            .parameters()
            .iter()
            .position(|(n, _)| n == name)
            .unwrap()
    };
    values[index("train/s1/installed_base")] = 12.0;
    values[index("train/s2/installed_base")] = 36.0;
    values[index("train/s1/created_bytes")] = 2.0;
    values[index("train/s2/created_bytes")] = 4.0;
    values[index("tape/government/t/used_bytes")] = 50.0;
    values[index("tape/government/t/installed_capacity_bytes")] = 80.0;
    let y = model.evaluate(&values).unwrap();
    let out = |name: &str| y[model.outputs().iter().position(|n| n == name).unwrap()];
    // per unit: created mean 3 + captured 1 + replicated 0.3 + consumed 2
    let produced = 24.0 * 0.5 * (3.0 + 1.0 + 0.3 + 2.0);
    assert!((out("P01") - produced).abs() < 1e-12);
    assert_eq!(out("P01"), out("production.bytes/transport"));
    assert_eq!(out("P03"), 50.0);
    assert_eq!(out("P06"), 80.0);
    assert_eq!(out("P07"), 50.0 / 80.0);
    assert_eq!(out("P04"), 16.0 + 4.0);
    assert!((out("P05") - 20.0 / produced).abs() < 1e-15);
    assert!(model.evaluate(&values[1..]).is_err());
}

/// P15: cameras (IoT sensing) and PCs report public shares, one smartphone source does too
/// and the other does not; the model's central P15 is the central-value model's, bit for bit,
/// and a hand-set draw follows the definition.
#[test]
fn iot_share_of_public_acquisition_follows_its_definition() {
    let mut d = devices();
    d[0].public_share = Some(range(0.0, 0.02, 0.05)); // smartphone/vendor-a
    d[3].public_share = Some(sd(0.2, 0.05)); // pc
    d[4].public_share = Some(range(0.3, 0.4, 0.5)); // camera
    let m = media();
    let model = FullVolumeModel::new(&d, &m).unwrap();
    assert_eq!(model.outputs().last().map(String::as_str), Some("P15"));
    assert_eq!(
        model
            .parameters()
            .iter()
            .filter(|(n, _)| n.ends_with("/public_share"))
            .count(),
        3
    );
    let stored_d: Vec<_> = d
        .iter()
        .enumerate()
        .map(|(i, x)| (stored(i as i64), x.clone()))
        .collect();
    let figures = crate::model::figures(&stored_d, &[]);
    let p15 = figures.iter().find(|f| f.id == "P15").unwrap();
    let result = model.simulate(2000, 1).unwrap();
    let o = result.output("P15").unwrap();
    assert_eq!(o.central.to_bits(), p15.value.to_bits());
    assert!(o.p5 < o.central && o.central < o.p95, "{o:?}");
    // The domain's lineage lists the returns of every device type some source splits: all
    // three smartphone sources, the pc and the camera.
    assert_eq!(p15.lineage.as_ref().unwrap().returns.len(), 5);

    // By hand at the central values: captured data of the public units, IoT part over all.
    // The smartphones' public share is the one reporting source's; the rest their mean.
    let phone_mean = |f: fn(&DeviceParameters) -> f64| d[..3].iter().map(f).sum::<f64>() / 3.0;
    let phones = phone_mean(|x| x.installed_base.value)
        * phone_mean(|x| x.active_share.value)
        * 0.02
        * phone_mean(|x| x.captured_bytes.value);
    let c = |x: &DeviceParameters| x.captured_bytes.value;
    let pcs = d[3].installed_base.value * d[3].active_share.value * 0.2 * c(&d[3]);
    let cameras = d[4].installed_base.value * d[4].active_share.value * 0.4 * c(&d[4]);
    let expected = cameras / (phones + pcs + cameras);
    assert!(
        (p15.value - expected).abs() < 1e-12,
        "{} {expected}",
        p15.value
    );
    let public: f64 = figures
        .iter()
        .filter(|f| f.id == "production.public_acquisition_bytes")
        .map(|f| f.value)
        .sum();
    assert!((public - (phones + pcs + cameras)).abs() / public < 1e-12);

    // Without any public share there is no P15 and no public acquisition.
    let model = FullVolumeModel::new(&devices(), &m).unwrap();
    assert!(!model.outputs().iter().any(|o| o == "P15"));
    let plain: Vec<_> = devices()
        .into_iter()
        .enumerate()
        .map(|(i, x)| (stored(i as i64), x))
        .collect();
    assert!(
        crate::model::figures(&plain, &[])
            .iter()
            .all(|f| f.id != "P15" && f.id != "production.public_acquisition_bytes")
    );
}

#[test]
fn full_volume_simulation_ranks_the_widest_parameter_first() {
    let model = FullVolumeModel::new(&devices(), &media()).unwrap();
    let r = model.simulate(20_000, 3).unwrap();
    // Cameras produce most of the data and their installed base has a range of 1e8..2e9
    // around 5e8: by far the widest relative uncertainty on the largest term.
    let p01 = r.output("P01").unwrap();
    assert_eq!(
        p01.sensitivity[0].parameter,
        "camera/assoc-c/installed_base"
    );
    assert!(p01.sensitivity[0].variance_share > 0.5);
    // Utilisation is driven by used bytes and capacities only.
    let p07 = r.output("P07").unwrap();
    assert!(
        p07.sensitivity[..4]
            .iter()
            .all(|c| c.parameter.ends_with("/used_bytes")
                || c.parameter.ends_with("/installed_capacity_bytes"))
    );
    assert_eq!(r.parameters.len(), model.parameters().len());
}
