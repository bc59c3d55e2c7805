//! One module per subcommand.
pub mod eval;
pub mod plugins;
pub mod push;
pub mod run;
pub mod serve;
pub mod tail;
