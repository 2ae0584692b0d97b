//! Statement files from multipart forms (the link page, the widget and the import API).
use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::StatusCode;
use passbook_domain::linking::StatementUpload;
use passbook_domain::statement_file::ReadError;

/// Room in a form's body beside its file: the parts' headers, a password, the customer fields.
const FORM_OVERHEAD: usize = 64 * 1024;

/// The body limit of a route that takes a file of up to `upload_limit` bytes: a file of exactly
/// the limit fits, with its form around it.
pub fn form_limit(upload_limit: usize) -> usize {
    upload_limit.saturating_add(FORM_OVERHEAD)
}

/// The `statement` file (and `password`) of a multipart form, or why there is none. The body
/// limit of the route ([`form_limit`]) stops an oversized form while it arrives, before it is
/// read whole; the file itself is then held to `limit`.
pub async fn statement_upload(
    multipart: Result<Multipart, MultipartRejection>,
    limit: usize,
) -> Result<StatementUpload, ReadError> {
    let mut form = read_form(multipart, &["statement"], limit).await?;
    let (file_name, file) = form.files.pop().unwrap_or_default();
    Ok(StatementUpload { file, file_name, password: form.text("password").filter(|p| !p.is_empty()), currency: None })
}

/// A multipart form: its text fields, and the files of the fields named in `file_fields`.
#[derive(Default)]
pub struct Form {
    pub texts: Vec<(String, String)>,
    pub files: Vec<(Option<String>, Vec<u8>)>,
}

impl Form {
    pub fn text(&self, name: &str) -> Option<String> {
        self.texts.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }
}

pub async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
    file_fields: &[&str],
    limit: usize,
) -> Result<Form, ReadError> {
    let refusal = |err: MultipartError| refusal(err, limit);
    let mut multipart = multipart
        .map_err(|e| ReadError::Malformed(format!("the upload is not a multipart form: {}", e.body_text())))?;
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(refusal)? {
        let name = field.name().unwrap_or_default().to_string();
        if file_fields.contains(&name.as_str()) {
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(refusal)?;
            if bytes.len() > limit {
                return Err(ReadError::TooLarge { limit_mb: (limit / 1024 / 1024) as u64 });
            }
            form.files.push((file_name, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(refusal)?;
            form.texts.push((name, text));
        }
    }
    Ok(form)
}

fn refusal(err: MultipartError, limit: usize) -> ReadError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ReadError::TooLarge { limit_mb: (limit / 1024 / 1024) as u64 }
    } else {
        ReadError::Malformed(format!("the upload was cut short or damaged ({})", err.body_text()))
    }
}
