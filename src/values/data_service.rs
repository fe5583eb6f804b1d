//! The chart's in-cluster databases and Redis servers (`mariadb-sts`,
//! `valkey-cache`, …), which this tool does not render.
//!
//! Values files copied from the chart carry these sections with their whole
//! subchart configuration. We read only `enabled`: when it is false the rest
//! is dead configuration and is ignored on purpose, and when it is true the
//! model explains that databases and Redis are external here.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::Spanned;

/// An in-cluster data service of the chart: only `enabled` is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataService {
    pub enabled: Spanned<bool>,
}

impl<'de> Deserialize<'de> for DataService {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataServiceVisitor;

        impl<'de> Visitor<'de> for DataServiceVisitor {
            type Value = DataService;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map with `enabled: false`")
            }

            fn visit_unit<E: de::Error>(self) -> Result<DataService, E> {
                Ok(DataService::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DataService, A::Error> {
                let mut service = DataService::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "enabled" {
                        service.enabled = map.next_value()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(service)
            }
        }

        deserializer.deserialize_map(DataServiceVisitor)
    }
}

impl JsonSchema for DataService {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DataService".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An in-cluster data service of the official chart. Only `enabled: false` is accepted: the database and Redis are external services here; the other keys of the section are ignored.",
            "type": ["object", "null"],
            "properties": { "enabled": { "const": false, "description": "Must be false: this tool renders no in-cluster data service." } },
        })
    }
}
