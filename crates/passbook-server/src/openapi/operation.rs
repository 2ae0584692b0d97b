//! One API operation: its route and handler, and what the OpenAPI document says of it. The
//! router and the document are both built from the same list of these, so an endpoint cannot be
//! served undocumented nor documented unserved.
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use schemars::generate::SchemaGenerator;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

use crate::AppState;

/// Writes a type's schema into a generator and returns it (usually a `$ref`).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// What an operation's request carries.
pub enum RequestBody {
    None,
    Json(SchemaFn),
    /// A JSON object of free-form fields (a bank's login form).
    Fields,
    /// `multipart/form-data` with these properties; `statement` is the file.
    Multipart(fn() -> Value),
}

/// What a successful answer carries.
pub enum Answer {
    Json {
        status: u16,
        description: &'static str,
        schema: SchemaFn,
    },
    /// Not JSON: a PDF, Prometheus text.
    Other {
        media: &'static str,
        description: &'static str,
    },
}

pub struct Operation {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
    pub(crate) id: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) description: &'static str,
    pub(crate) tag: &'static str,
    /// Authenticated by the app's secret key (`mono-sec-key`).
    pub(crate) keyed: bool,
    pub(crate) query: Option<SchemaFn>,
    /// Request headers: name, description, required.
    pub(crate) headers: Vec<(&'static str, &'static str, bool)>,
    pub(crate) body: RequestBody,
    pub(crate) answer: Answer,
    /// Answers `304` to a matching `If-None-Match`.
    pub(crate) conditional: bool,
    /// OpenAPI links from the successful answer: name, target operation, its parameters.
    pub(crate) links: Vec<Link>,
}

/// Where a value of this answer can be used next (OpenAPI `links`): `parameters` maps the target's
/// parameters (`header.x-session-id` for a header) to runtime expressions such as
/// `$response.body#/data/id`.
pub struct Link {
    pub name: &'static str,
    pub operation: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
}

macro_rules! constructor {
    ($name:ident, $method:ident, $route:path) => {
        pub fn $name<H, T>(path: &'static str, handler: H) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            Self::new(Method::$method, path, $route(handler))
        }
    };
}

impl Operation {
    constructor!(get, GET, routing::get);
    constructor!(post, POST, routing::post);
    constructor!(put, PUT, routing::put);
    constructor!(patch, PATCH, routing::patch);
    constructor!(delete, DELETE, routing::delete);

    fn new(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        Self {
            method,
            path,
            handler,
            id: "",
            summary: "",
            description: "",
            tag: "",
            keyed: true,
            query: None,
            headers: Vec::new(),
            body: RequestBody::None,
            answer: Answer::Json { status: 200, description: "", schema: schema_of::<Value> },
            conditional: false,
            links: Vec::new(),
        }
    }

    /// The operation's id, tag and one-line summary.
    pub fn named(mut self, tag: &'static str, id: &'static str, summary: &'static str) -> Self {
        (self.tag, self.id, self.summary) = (tag, id, summary);
        self
    }

    pub fn describe(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// No `mono-sec-key` needed.
    pub fn public(mut self) -> Self {
        self.keyed = false;
        self
    }

    /// The query string, one parameter per field of `Q`.
    pub fn query<Q: JsonSchema>(mut self) -> Self {
        self.query = Some(schema_of::<Q>);
        self
    }

    pub fn header(mut self, name: &'static str, description: &'static str) -> Self {
        self.headers.push((name, description, false));
        self
    }

    pub fn required_header(mut self, name: &'static str, description: &'static str) -> Self {
        self.headers.push((name, description, true));
        self
    }

    pub fn json_body<B: JsonSchema>(mut self) -> Self {
        self.body = RequestBody::Json(schema_of::<B>);
        self
    }

    pub fn fields_body(mut self) -> Self {
        self.body = RequestBody::Fields;
        self
    }

    pub fn multipart_body(mut self, properties: fn() -> Value) -> Self {
        self.body = RequestBody::Multipart(properties);
        self
    }

    pub fn returns<R: JsonSchema>(mut self, status: u16, description: &'static str) -> Self {
        self.answer = Answer::Json { status, description, schema: schema_of::<R> };
        self
    }

    pub fn returns_other(mut self, media: &'static str, description: &'static str) -> Self {
        self.answer = Answer::Other { media, description };
        self
    }

    /// A body larger than the server's default is accepted here.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self.handler.layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }

    pub fn link(
        mut self,
        name: &'static str,
        operation: &'static str,
        parameters: &'static [(&'static str, &'static str)],
    ) -> Self {
        self.links.push(Link { name, operation, parameters });
        self
    }

    pub fn conditional(mut self) -> Self {
        self.conditional = true;
        self
    }
}

/// The router that serves these operations.
pub fn router(operations: Vec<Operation>) -> axum::Router<AppState> {
    operations.into_iter().fold(axum::Router::new(), |router, op| router.route(op.path, op.handler))
}
