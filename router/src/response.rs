//! GraphQL response pieces: errors with paths, and the ordered output tree that is
//! serialized in exactly the client's selection order.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// One step of a response path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

impl Serialize for PathSeg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PathSeg::Key(k) => s.serialize_str(k),
            PathSeg::Index(i) => s.serialize_u64(*i as u64),
        }
    }
}

impl PathSeg {
    pub fn from_json(v: &Value) -> Option<PathSeg> {
        match v {
            Value::String(s) => Some(PathSeg::Key(s.clone())),
            Value::Number(n) => n.as_u64().map(|i| PathSeg::Index(i as usize)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GraphQLError {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSeg>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Value>,
}

impl GraphQLError {
    pub fn new(message: impl Into<String>) -> Self {
        GraphQLError {
            message: message.into(),
            locations: None,
            path: None,
            extensions: None,
        }
    }

    pub fn code(mut self, code: &str) -> Self {
        let mut ext = match self.extensions.take() {
            Some(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        ext.insert("code".into(), Value::String(code.into()));
        self.extensions = Some(Value::Object(ext));
        self
    }

    pub fn at(mut self, path: Vec<PathSeg>) -> Self {
        self.path = Some(path);
        self
    }
}

/// Output value built by projection; objects keep insertion (= selection) order.
#[derive(Debug, Clone)]
pub enum Out {
    Null,
    Leaf(Value),
    /// A type name (`__typename`), shared rather than copied per object.
    Str(std::sync::Arc<str>),
    List(Vec<Out>),
    Object(Vec<(std::sync::Arc<str>, Out)>),
}

impl Out {
    pub fn is_null(&self) -> bool {
        matches!(self, Out::Null | Out::Leaf(Value::Null))
    }
}

impl Serialize for Out {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Out::Null => s.serialize_unit(),
            Out::Leaf(v) => v.serialize(s),
            Out::Str(v) => s.serialize_str(v),
            Out::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Out::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
        }
    }
}

/// A complete GraphQL response. `data` absent means the request failed before execution.
#[derive(Debug, Serialize, Default)]
pub struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Out>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<GraphQLError>,
}

impl Response {
    pub fn request_error(errors: Vec<GraphQLError>) -> Self {
        Response { data: None, errors }
    }
}
