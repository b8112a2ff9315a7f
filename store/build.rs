//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds the
//! migration folders when the crate compiles, and cargo does not otherwise look at them (a new
//! migration file would be left out of an incremental build).

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
