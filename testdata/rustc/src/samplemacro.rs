//! A function-like proc macro; built with --crate-type proc-macro into libsamplemacro.so.
extern crate proc_macro;

use proc_macro::TokenStream;

/// Expands to a function `answer` returning 42.
#[proc_macro]
pub fn make_answer(_input: TokenStream) -> TokenStream {
    "fn answer() -> u32 { 42 }".parse().unwrap()
}
