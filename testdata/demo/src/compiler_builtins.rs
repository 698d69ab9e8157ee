//! A miniature `compiler_builtins`, marked like the kernel's (rust/compiler_builtins.rs);
//! every no_std crate depends on it.
#![feature(compiler_builtins)]
#![allow(internal_features)]
#![compiler_builtins]
#![no_builtins]
#![no_std]
