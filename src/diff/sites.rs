//! Where a workload's pods keep the sites: the volume they mount the sites
//! directory from. A render that moves them to another volume starts the
//! bench without its sites (an enabled create-site Job then creates them anew,
//! with new databases), while the old claim keeps them out of sight.

use std::fmt;

use serde_json::Value;

use super::object::Key;
use crate::model::component::SITES_DIR;

/// The volume pods mount the sites directory from.
#[derive(Debug, PartialEq, Eq)]
pub struct SitesVolume {
    /// Whether `name` is a claim's name, or a volume's that is no claim.
    pub claim: bool,
    pub name: String,
}

impl fmt::Display for SitesVolume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.claim {
            write!(f, "the claim `{}`", self.name)
        } else {
            write!(f, "the volume `{}`, no claim", self.name)
        }
    }
}

/// What a workload's pods mount the sites directory from; `None` when none
/// of its containers mounts it.
pub fn sites_volume(object: &Value) -> Option<SitesVolume> {
    let spec = &object["spec"]["template"]["spec"];
    let name = spec["containers"]
        .as_array()?
        .iter()
        .flat_map(|c| c["volumeMounts"].as_array().into_iter().flatten())
        .find(|m| m["mountPath"].as_str().map(|p| p.trim_end_matches('/')) == Some(SITES_DIR))?["name"]
        .as_str()?;
    let volume = spec["volumes"].as_array().into_iter().flatten().find(|v| v["name"] == name);
    Some(match volume.and_then(|v| v["persistentVolumeClaim"]["claimName"].as_str()) {
        Some(claim) => SitesVolume {
            claim: true,
            name: claim.to_owned(),
        },
        None => SitesVolume {
            claim: false,
            name: name.to_owned(),
        },
    })
}

/// What to say when the render (`after`) would have the pods of the
/// Deployment `key` mount the sites directory from another volume than the
/// claim they mount it from now (`before`): `persistence.worker.existingClaim`
/// set or changed, a name that changed the claim's, or a live release whose
/// sites were an emptyDir (the chart's `persistence.worker.enabled: false`).
pub fn moved(key: &Key, before: &Value, after: &Value) -> Option<String> {
    if !key.is("apps", "Deployment") {
        return None;
    }
    let now = sites_volume(before).filter(|v| v.claim)?;
    let then = sites_volume(after);
    (Some(&now) != then.as_ref()).then(|| {
        let then = then.map_or_else(|| "no volume".to_owned(), |v| v.to_string());
        format!(
            "its pods would mount the sites directory from {then}, not {now}: they would start without the sites on `{}`, \
             which stays as it is; copy them over first, or put the values back",
            now.name
        )
    })
}
