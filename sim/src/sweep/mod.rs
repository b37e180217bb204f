//! Parameter sweeps: a grid of scenario variants run in parallel, the best configuration under
//! an SLO, and the safe envelope (the largest load after which the system still recovers).
//!
//! By part: `axis` (the `--vary` axes), `key_path` and `variant` (a point's settings applied to
//! the scenario), `grid` and `plan` (the combinations, validated, then run), `point` and `reduce`
//! (a point's figures over its seeds), `objective` and `choice` (what is best), `findings` and
//! `envelope` (what a sweep found), `table` and `rows` (sweep.json, sweep.csv and a report's
//! cells).

mod axis;
mod choice;
mod envelope;
mod findings;
mod grid;
mod key_path;
mod objective;
mod plan;
mod point;
mod reduce;
mod rows;
mod table;
mod variant;

#[cfg(test)]
mod tests;

pub use axis::{describe, parse_axis, parse_axis_for, show_value, simulator_ignores, Axis, Ignored, MAX_RANGE_VALUES};
pub use choice::{
    best, best_config, incomplete_configurations, is_load_axis, objective_value, params_where, tied_with_best, Choice,
};
pub use envelope::{envelope_axis, fault_note, safe_envelope, Envelope, EnvelopeAxis, EnvelopeUnit};
pub use findings::{findings, headline};
pub use grid::{check_simulations, grid, grid_size, MAX_COMBINATIONS, MAX_SIMULATIONS};
pub use key_path::canonical_path;
pub use objective::{objective_note, parse_objective, parse_slos, OBJECTIVES};
pub use plan::{check_seeds, figure_problem, plan, plan_until, run_plan, run_plan_until, Plan, PlannedPoint};
pub use point::{Params, Point, WorstService};
pub use rows::{cells, to_csv};
pub use table::{remove_earlier_table, Table, TABLE_FILES};
pub use variant::{check_paths, variant, variant_dropping, Overridden, Variant};
