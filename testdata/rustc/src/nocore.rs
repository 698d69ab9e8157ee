//! A #![no_core] crate for a custom JSON target, as the kernel builds its crates
//! (metadata only: nothing is code-generated, so no linker or libcore is needed).
//! rustc >= 1.89 wants the sized-trait hierarchy: build with --cfg sized_hierarchy.
#![feature(no_core, lang_items)]
#![allow(unknown_lints, internal_features)]
#![no_core]

#[cfg(sized_hierarchy)]
#[lang = "pointee_sized"]
pub trait PointeeSized {}

#[cfg(sized_hierarchy)]
#[lang = "meta_sized"]
pub trait MetaSized: PointeeSized {}

#[cfg(sized_hierarchy)]
#[lang = "sized"]
pub trait Sized: MetaSized {}

#[cfg(not(sized_hierarchy))]
#[lang = "sized"]
pub trait Sized {}

#[lang = "copy"]
pub trait Copy {}

pub struct Sample {
    pub value: u32,
}
