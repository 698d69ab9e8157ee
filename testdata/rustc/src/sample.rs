//! A small library crate; built with --emit=metadata into libsample.rmeta.

/// A public item so the metadata has something to describe.
pub struct Sample {
    pub value: u32,
}

impl Sample {
    pub fn new(value: u32) -> Self {
        Sample { value }
    }
}

pub fn answer() -> u32 {
    42
}
