//! The volumes every bench pod shares: the sites directory and the logs.

use crate::values;

/// A volume of the bench: a claim (rendered or existing) or an emptyDir.
#[derive(Debug, Clone)]
pub enum Volume {
    Claim { claim_name: String, create: Option<ClaimSpec> },
    EmptyDir,
}

/// A PersistentVolumeClaim to render.
#[derive(Debug, Clone)]
pub struct ClaimSpec {
    pub size: String,
    pub storage_class: Option<String>,
    pub access_modes: Vec<String>,
}

pub(super) fn volume(values: &values::Volume, default_claim: String) -> Volume {
    if !*values.enabled {
        return Volume::EmptyDir;
    }
    match values.existing_claim.as_deref().filter(|c| !c.is_empty()) {
        Some(existing) => Volume::Claim {
            claim_name: existing.to_owned(),
            create: None,
        },
        None => Volume::Claim {
            claim_name: default_claim,
            create: Some(ClaimSpec {
                size: values.size.0.clone(),
                storage_class: values.storage_class.as_deref().filter(|c| !c.is_empty()).map(str::to_owned),
                access_modes: values.access_modes.to_vec(),
            }),
        },
    }
}
