//! A miniature `macros` proc-macro crate, named like the kernel's.
extern crate proc_macro;

use proc_macro::TokenStream;

/// Expands to a `pub struct` named after its input identifier.
#[proc_macro]
pub fn module(input: TokenStream) -> TokenStream {
    format!("pub struct {input};").parse().unwrap()
}
