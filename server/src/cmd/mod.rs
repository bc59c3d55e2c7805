//! One module per subcommand.
pub mod eval;
pub mod plugins;
pub mod run;
