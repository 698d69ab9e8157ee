//! A miniature `kernel` crate: no_std, for the custom target, using `core` and `macros`.
#![no_std]

macros::module!(ThisModule);

pub struct Module {
    pub name: u8,
}

pub fn version() -> u32 {
    1
}
