//! The grid: every combination of the axes, and the bounds on its size and on the simulations
//! it makes.

use super::axis::Axis;
use serde_json::Value;

/// At most this many combinations in a grid: each is validated (and then simulated) before the
/// sweep reports anything, and a product of a few ranges otherwise exhausts memory in `grid`.
pub const MAX_COMBINATIONS: usize = 100_000;

/// At most this many simulations (points x replications) in one sweep: 100,000 points of one
/// seed, or 10,000 of a hundred. [`MAX_COMBINATIONS`] alone let `--replications 1000` make
/// 10^8 of them.
pub const MAX_SIMULATIONS: u64 = 1_000_000;

/// `n` with its thousands separated: 1,001,000.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Refuses a sweep of more than [`MAX_SIMULATIONS`] simulations: `points` distinct points
/// (the planned grid's), each run `seeds` times, before any runs.
pub fn check_simulations(points: usize, seeds: u32) -> Result<(), String> {
    let n = points as u64 * u64::from(seeds.max(1));
    if n <= MAX_SIMULATIONS {
        return Ok(());
    }
    let fewer_seeds = MAX_SIMULATIONS / (points as u64).max(1);
    let lower = if fewer_seeds >= 1 && seeds > 1 {
        format!("lower --replications to at most {fewer_seeds}, or narrow an axis")
    } else {
        "narrow an axis".to_string()
    };
    Err(format!(
        "--replications {seeds}: {} points x {seeds} seeds make {} simulations; a sweep runs at most {}: {lower}",
        thousands(points as u64),
        thousands(n),
        thousands(MAX_SIMULATIONS)
    ))
}

/// How many combinations the axes make, refused above [`MAX_COMBINATIONS`] (checked: the
/// product of a few long axes overflows `usize`).
pub fn grid_size(axes: &[Axis]) -> Result<usize, String> {
    let n = axes.iter().try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
    match n {
        Some(n) if n <= MAX_COMBINATIONS => Ok(n),
        _ => {
            let sizes = axes
                .iter()
                .map(|a| format!("{} ({} values)", a.key, a.values.len()))
                .collect::<Vec<_>>()
                .join(" x ");
            let n = n.map_or_else(|| format!("more than {}", usize::MAX), |n| n.to_string());
            Err(format!(
                "--vary: the axes {sizes} make {n} combinations; a sweep takes at most {MAX_COMBINATIONS}: narrow an axis"
            ))
        }
    }
}

/// Every combination of the axes; refused when there are too many ([`grid_size`]).
pub fn grid(axes: &[Axis]) -> Result<Vec<Vec<(String, Value)>>, String> {
    grid_size(axes)?;
    let mut out = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                a.values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push((a.key.clone(), v.clone()));
                    p
                })
            })
            .collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::parse_axis;

    /// The cap counts simulations, points x seeds, not grid points alone: 1,001 points of
    /// 1,000 seeds each were a million simulations, started without a word.
    #[test]
    fn too_many_simulations_are_refused_naming_both_numbers() {
        assert_eq!(check_simulations(100_000, 1), Ok(()));
        assert_eq!(check_simulations(1_000, 1_000), Ok(()));
        assert_eq!(
            check_simulations(1_001, 1_000).unwrap_err(),
            "--replications 1000: 1,001 points x 1000 seeds make 1,001,000 simulations; a sweep runs at most 1,000,000: lower --replications to at most 999, or narrow an axis"
        );
        let e = check_simulations(100_000, 1_000).unwrap_err();
        assert!(
            e.contains("make 100,000,000 simulations") && e.ends_with("at most 10, or narrow an axis"),
            "{e}"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }

    #[test]
    fn grid_is_the_cartesian_product() {
        let axes = vec![parse_axis("a=1,2").unwrap(), parse_axis("b=x,y,z").unwrap()];
        assert_eq!(grid(&axes).unwrap().len(), 6);
    }
}
