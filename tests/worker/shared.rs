//! One test rig (nginx front + misbehaving origins) shared by every test in this binary.

use std::sync::OnceLock;

use crate::rig::{Rig, RigOptions};

pub fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| {
        Rig::start(RigOptions::default())
            .unwrap_or_else(|e| panic!("the test rig did not start: {e}"))
    })
}
