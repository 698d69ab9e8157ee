// SPDX-License-Identifier: GPL-2.0

//! A minimal out-of-tree Rust module: it prints one line when loaded and one
//! when unloaded. The end-to-end run builds it against a Debian kernel's
//! headers and looks for the init line on the booted kernel's console.

use kernel::prelude::*;

module! {
    type: RustE2e,
    name: "rust_e2e",
    authors: ["linux-librust"],
    description: "Out-of-tree Rust module built against distribution headers",
    license: "GPL",
}

struct RustE2e {
    // Generic code from the kernel crate, instantiated in this module.
    numbers: KVec<u32>,
}

impl kernel::Module for RustE2e {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut numbers = KVec::new();
        numbers.push(7, GFP_KERNEL)?;
        numbers.push(2, GFP_KERNEL)?;
        pr_info!("linux-librust e2e module loaded\n");
        Ok(RustE2e { numbers })
    }
}

impl Drop for RustE2e {
    fn drop(&mut self) {
        pr_info!("linux-librust e2e module unloaded {:?}\n", self.numbers);
    }
}
