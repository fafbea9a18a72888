//! What a pass sees besides the graph: the device profile (the only view of the device) and
//! the optimizer options.

use targets::Profile;

/// Options shared by all passes. Defaults are what `edgec compile` uses.
#[derive(Clone, Debug)]
pub struct PassOptions {
    /// 0: quiet; 1: per-pass summary lines (the manager); 2+: passes may explain decisions.
    pub verbosity: u8,
    /// `constant-fold` always folds a node whose results take at most this many bytes; bigger
    /// results are folded only when they are no bigger than the constants they consume
    /// exclusively (so folding never grows the weights).
    pub fold_limit_bytes: usize,
    /// `cse` compares constants by value when they have at most this many elements (bigger
    /// constants are merged only when they share storage).
    pub cse_const_elements: usize,
    /// Limits and rule selection of the `egraph` pass.
    pub egraph: crate::egraph::EgraphOptions,
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            verbosity: 0,
            fold_limit_bytes: 64 * 1024,
            cse_const_elements: 4096,
            egraph: crate::egraph::EgraphOptions::default(),
        }
    }
}

/// The context a pass runs in.
#[derive(Clone, Debug)]
pub struct PassContext<'a> {
    /// The device the graph is optimized for.
    pub profile: &'a Profile,
    pub options: PassOptions,
}

impl<'a> PassContext<'a> {
    pub fn new(profile: &'a Profile) -> Self {
        PassContext { profile, options: PassOptions::default() }
    }

    pub fn with_options(profile: &'a Profile, options: PassOptions) -> Self {
        PassContext { profile, options }
    }
}
