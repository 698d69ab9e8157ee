//! An out-of-tree module crate; the generator compiles it against build/rust/ to check
//! that the artifact set is complete and consistent. Not part of the demo trees.
#![no_std]

pub struct Minimal {
    pub this: kernel::ThisModule,
    pub module: kernel::Module,
}

pub fn init() -> u32 {
    kernel::version()
}
